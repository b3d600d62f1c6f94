package org.polaris.workbench.ui.app;

import javafx.scene.control.Alert;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import org.polaris.workbench.ui.common.DialogService;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Dialogs on the real window. */
final class FxDialogService implements DialogService {

    private final Supplier<Window> owner;

    FxDialogService(Supplier<Window> owner) {
        this.owner = owner;
    }

    @Override
    public List<Path> chooseModelFiles(Optional<Path> initialDirectory) {
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Open ONNX model");
        chooser.getExtensionFilters().addAll(
                new FileChooser.ExtensionFilter("Models (*.onnx, *.pt)", "*.onnx", "*.pt"),
                new FileChooser.ExtensionFilter("ONNX models (*.onnx)", "*.onnx"),
                new FileChooser.ExtensionFilter("TorchScript (*.pt)", "*.pt"),
                new FileChooser.ExtensionFilter("All files", "*"));
        initialDirectory.map(Path::toFile).filter(File::isDirectory).ifPresent(chooser::setInitialDirectory);
        List<File> files = chooser.showOpenMultipleDialog(owner.get());
        return files == null ? List.of() : files.stream().map(File::toPath).toList();
    }

    @Override
    public Optional<Path> chooseSaveFile(String title, Path suggested) {
        FileChooser chooser = new FileChooser();
        chooser.setTitle(title);
        chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("ONNX models (*.onnx)", "*.onnx"));
        if (suggested.getParent() != null && suggested.getParent().toFile().isDirectory()) {
            chooser.setInitialDirectory(suggested.getParent().toFile());
        }
        chooser.setInitialFileName(suggested.getFileName().toString());
        return Optional.ofNullable(chooser.showSaveDialog(owner.get())).map(File::toPath);
    }

    @Override
    public Optional<Path> chooseData(boolean folder, Optional<Path> initialDirectory) {
        if (folder) {
            javafx.stage.DirectoryChooser chooser = new javafx.stage.DirectoryChooser();
            chooser.setTitle("Data folder: images, .wav clips, .npz samples or test_data_set_* folders");
            initialDirectory.map(Path::toFile).filter(File::isDirectory).ifPresent(chooser::setInitialDirectory);
            return Optional.ofNullable(chooser.showDialog(owner.get())).map(File::toPath);
        }
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Data file: IDX images");
        chooser.getExtensionFilters().addAll(
                new FileChooser.ExtensionFilter("IDX images (*idx3*)", "*idx3*"),
                new FileChooser.ExtensionFilter("All files", "*"));
        initialDirectory.map(Path::toFile).filter(File::isDirectory).ifPresent(chooser::setInitialDirectory);
        return Optional.ofNullable(chooser.showOpenDialog(owner.get())).map(File::toPath);
    }

    @Override
    public boolean confirm(String title, String message, String confirmLabel) {
        javafx.scene.control.ButtonType yes = new javafx.scene.control.ButtonType(confirmLabel,
                javafx.scene.control.ButtonBar.ButtonData.OK_DONE);
        Alert alert = new Alert(Alert.AlertType.CONFIRMATION, message, yes, javafx.scene.control.ButtonType.CANCEL);
        alert.initOwner(owner.get());
        alert.setTitle(title);
        alert.setHeaderText(title);
        return alert.showAndWait().filter(yes::equals).isPresent();
    }

    @Override
    public void showError(String title, String message) {
        Alert alert = new Alert(Alert.AlertType.ERROR, message);
        alert.initOwner(owner.get());
        alert.setTitle(title);
        alert.setHeaderText(title);
        alert.showAndWait();
    }
}
