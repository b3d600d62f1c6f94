package org.polaris.workbench.arch;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
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

    /** A class that is, or is nested in (named, anonymous or lambda holder), a pane's View or a view helper. */
    static final DescribedPredicate<JavaClass> VIEW_CODE = new DescribedPredicate<>("view code (nested classes included)") {
        @Override
        public boolean test(JavaClass c) {
            JavaClass top = c;
            while (top.getEnclosingClass().isPresent()) {
                top = top.getEnclosingClass().get();
            }
            String pkg = top.getPackageName();
            boolean pane = pkg.startsWith("org.polaris.workbench.ui.") && !pkg.endsWith(".ui.common") && !pkg.endsWith(".ui.app");
            // views are the scene-graph classes of a pane (its View, forms, charts), whatever their name
            return pane && !top.getSimpleName().endsWith("ViewModel")
                    && (top.isAssignableTo("javafx.scene.Node") || top.getSimpleName().endsWith("View"));
        }
    };

    /** Engine types a view may show: values the ViewModel hands it (records, enums) and number formatting. */
    static final DescribedPredicate<JavaClass> ENGINE_BEHAVIOUR = new DescribedPredicate<>("engine classes with behaviour") {
        @Override
        public boolean test(JavaClass c) {
            JavaClass t = c.isArray() ? c.getBaseComponentType() : c;
            return t.getPackageName().startsWith("org.polaris.workbench.engine") && !t.isRecord() && !t.isEnum()
                    && !t.getName().equals("org.polaris.workbench.engine.util.Sizes");
        }
    };

    @ArchTest
    static final ArchRule viewsReachTheEngineOnlyThroughViewModels = noClasses().that(VIEW_CODE)
            .should().dependOnClassesThat(ENGINE_BEHAVIOUR);

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
    static final ArchRule elkOnlyInEngineGraph = noClasses().that().resideOutsideOfPackage("..engine.graph..")
            .should().dependOnClassesThat().resideInAnyPackage("org.eclipse.elk..", "org.eclipse.emf..");

    @ArchTest
    static final ArchRule prometheusAndHttpServerOnlyInEngineServe = noClasses().that().resideOutsideOfPackage("..engine.serve..")
            .should().dependOnClassesThat().resideInAnyPackage("io.prometheus..", "com.sun.net.httpserver..");

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
