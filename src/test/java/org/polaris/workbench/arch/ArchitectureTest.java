package org.polaris.workbench.arch;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** The package boundaries of STYLE.md, enforced on the production classes. */
@AnalyzeClasses(packages = "org.polaris.workbench", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule engineIsFreeOfUiAndCli = noClasses().that().resideInAPackage("..engine..")
            .should().dependOnClassesThat().resideInAnyPackage("javafx..", "..ui..", "..cli..", "..server..",
                    "io.fair_acc..", "org.controlsfx..");

    @ArchTest
    static final ArchRule cliIsFreeOfUi = noClasses().that().resideInAnyPackage("..cli..", "..server..")
            .should().dependOnClassesThat().resideInAnyPackage("javafx..", "..ui..");

    @ArchTest
    static final ArchRule viewModelsUseOnlyBeansAndCollections = classes().that().haveSimpleNameEndingWith("ViewModel")
            .should().onlyDependOnClassesThat().resideOutsideOfPackages("javafx.scene..", "javafx.stage..",
                    "javafx.fxml..", "javafx.application..", "javafx.concurrent..", "org.controlsfx..", "io.fair_acc..");

    @ArchTest
    static final ArchRule viewsReachTheEngineOnlyThroughViewModels = noClasses().that().resideInAPackage("..ui..")
            .and().haveSimpleNameEndingWith("View").should().dependOnClassesThat().resideInAnyPackage("..engine.inspect..", "..engine.onnx..",
                    "..engine.job..", "..engine.opencl..", "..engine.torch..");

    @ArchTest
    static final ArchRule onnxRuntimeOnlyInEngineOnnx = noClasses().that().resideOutsideOfPackage("..engine.onnx..")
            .should().dependOnClassesThat().resideInAPackage("ai.onnxruntime..");

    @ArchTest
    static final ArchRule djlOnlyInEngineTorch = noClasses().that().resideOutsideOfPackage("..engine.torch..")
            .should().dependOnClassesThat().resideInAPackage("ai.djl..");

    @ArchTest
    static final ArchRule joclOnlyInEngineOpencl = noClasses().that().resideOutsideOfPackage("..engine.opencl..")
            .should().dependOnClassesThat().resideInAPackage("org.jocl..");

    @ArchTest
    static final ArchRule consoleOnlyInCli = noClasses().that().resideOutsideOfPackage("..cli..")
            .should().accessField(System.class, "out").orShould().accessField(System.class, "err");

    @ArchTest
    static final ArchRule noThreadsInEngineOutsideJob = noClasses().that().resideInAPackage("..engine..")
            .and().resideOutsideOfPackage("..engine.job..")
            .should().callConstructor(Thread.class).orShould().callConstructor(Thread.class, Runnable.class)
            .orShould().callMethod(java.util.concurrent.ForkJoinPool.class, "commonPool")
            .orShould().callMethod(java.util.Collection.class, "parallelStream");

    @ArchTest
    static final ArchRule panesAreIndependent = slices().matching("org.polaris.workbench.ui.(*)..")
            .should().notDependOnEachOther()
            .ignoreDependency(com.tngtech.archunit.base.DescribedPredicate.alwaysTrue(),
                    com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage("..ui.common..", "..ui.app.."))
            .ignoreDependency(com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage("..ui.app.."),
                    com.tngtech.archunit.base.DescribedPredicate.alwaysTrue());

    @ArchTest
    static final ArchRule noCycles = slices().matching("org.polaris.workbench.(**)").should().beFreeOfCycles();

}
