package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.util.List;
import java.util.Map;

/** The Workbench engine behind the common runtime interface. */
public final class EngineRuntime implements ModelRuntime {

    private final EngineSession session;
    private final EnginePool pool;

    /** Takes ownership of {@code pool}, which is closed with this runtime. */
    public EngineRuntime(EngineSession session, EnginePool pool) {
        this.session = session;
        this.pool = pool;
    }

    @Override
    public String name() {
        return session.deviceDescription() == null ? "engine" : "engine+opencl";
    }

    public EngineSession session() {
        return session;
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return session.run(inputs, false);
    }

    @Override
    public List<NodeTiming> profile(Map<String, Tensor> inputs) {
        session.run(inputs, true);
        return session.lastProfile();
    }

    @Override
    public void close() {
        session.close();
        pool.close();
    }
}
