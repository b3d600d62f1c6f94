package org.polaris.workbench.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.ui.probe.ProbeView;

import static org.assertj.core.api.Assertions.assertThat;

/** The MVVM rule bites on nested and anonymous classes of a view, not only on the view class itself. */
class ArchitectureRuleProbeTest {

    @Test
    void nestedAndAnonymousClassesOfAViewAreChecked() {
        JavaClasses probe = new ClassFileImporter().importPackagesOf(ProbeView.class);
        EvaluationResult r = ArchitectureTest.viewsReachTheEngineOnlyThroughViewModels.evaluate(probe);
        assertThat(r.hasViolation()).isTrue();
        assertThat(r.getFailureReport().getDetails())
                .anyMatch(d -> d.contains("ProbeView$Form.read()") && d.contains("OnnxModelReader"))
                .anyMatch(d -> d.contains("ProbeView$1.run()") && d.contains("OnnxModelReader"));
    }
}
