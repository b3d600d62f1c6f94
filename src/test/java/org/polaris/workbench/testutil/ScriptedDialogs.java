package org.polaris.workbench.testutil;

import org.polaris.workbench.ui.common.DialogService;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/** A DialogService that answers from scripted queues and records what was asked: no windows needed. */
public final class ScriptedDialogs implements DialogService {

    public final List<Path> modelFiles = new ArrayList<>();
    public final List<Optional<Path>> chooserStarts = new ArrayList<>();
    public final Deque<Path> saveAnswers = new ArrayDeque<>();
    public final Deque<Path> dataAnswers = new ArrayDeque<>();
    public final List<String> errors = new ArrayList<>();
    /** Answers to confirmation questions, in order; none left means "Cancel". */
    public final Deque<Boolean> confirmAnswers = new ArrayDeque<>();
    public final List<String> questions = new ArrayList<>();

    @Override
    public boolean confirm(String title, String message, String confirmLabel) {
        questions.add(title + ": " + message);
        Boolean a = confirmAnswers.poll();
        return a != null && a;
    }

    @Override
    public List<Path> chooseModelFiles(Optional<Path> initialDirectory) {
        chooserStarts.add(initialDirectory);
        return List.copyOf(modelFiles);
    }

    @Override
    public void showError(String title, String message) {
        errors.add(title + ": " + message);
    }

    @Override
    public Optional<Path> chooseSaveFile(String title, Path suggested) {
        return Optional.ofNullable(saveAnswers.poll());
    }

    @Override
    public Optional<Path> chooseData(boolean folder, Optional<Path> initialDirectory) {
        return Optional.ofNullable(dataAnswers.poll());
    }
}
