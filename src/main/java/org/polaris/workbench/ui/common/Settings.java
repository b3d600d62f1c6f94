package org.polaris.workbench.ui.common;

import java.util.ArrayList;
import java.util.List;

/** What the workbench remembers between runs. A plain bean for Jackson; unknown fields are ignored on load. */
public final class Settings {

    public static final int MAX_RECENT = 10;

    public List<String> recentFiles = new ArrayList<>();
    public String lastDirectory;
    /** Where compressed models are suggested: the folder last chosen with "Save as…" (see OutputFolder). */
    public String outputDirectory;
    public double windowWidth = 1280;
    public double windowHeight = 800;
    public String quantCalibrationData;
    public String quantEvaluationData;
    public String quantCalibration = "percentile";
    /** Quantize pane: time few-channel stem convolutions in int8 and float and keep the faster. */
    public boolean quantSpeedCheck = true;
    public String sparsityEvaluationData;
    public String sparsityMethod = "magnitude";
    public double sparsityTarget = 0.5;
    /** Sparsity pane: re-fit kept weights by least squares, and on which data. */
    public boolean sparsityRefit;
    public String sparsityRefitData;
    /** Serve pane: where the server listens and how it batches and holds models. */
    public String serveHost = "127.0.0.1";
    public int servePort = 8000;
    public String serveApiKeyFile;
    public String serveRuntime = "ort";
    public int serveMaxBatch = 32;
    public double serveQueueDelayMs;
    public int serveMemoryBudgetMb;
    /** Train pane: data, method and the optimizer's settings of the last run started. */
    public String trainData;
    public String trainLabels;
    public String trainEvalData;
    public String trainMethod = "rigl";
    public int trainEpochs = 3;
    public int trainBatch = 64;
    public double trainLr = 0.01;
    public String trainOptimizer = "sgd";
    public double trainSparsity = 0.9;
    public String trainAllocation = "erk";
    public int trainUpdateEvery = 100;
    public double trainDropFraction = 0.3;
    public long trainSeed = 1;
    /** Search pane: data, tolerance and objective of the last search. */
    public String searchEvalData;
    public String searchCalibData;
    public double searchTolerance = 1;
    public String searchObjective = "latency";
    /** Where the Search pane measures latency: cpu or gpu. */
    public String searchDevice = "cpu";

    /** Puts {@code path} first in the recent list, without duplicates, keeping at most {@link #MAX_RECENT}. */
    public void touchRecent(String path) {
        recentFiles.remove(path);
        recentFiles.add(0, path);
        while (recentFiles.size() > MAX_RECENT) {
            recentFiles.remove(recentFiles.size() - 1);
        }
    }
}
