package dev.agentstore.it;

import org.assertj.core.api.Assertions;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;

import java.io.File;
import java.net.URISyntaxException;

/**
 * Test deployments: the example WAR (its WEB-INF/lib, persistence.xml, jboss-deployment-structure.xml; built by
 * {@code examples/wildfly-app} earlier in the reactor) plus test classes and AssertJ, so every test runs against
 * exactly what the example ships.
 */
final class Deployments {

    private Deployments() {
    }

    /** @return the example WAR as built */
    static WebArchive exampleApp() {
        File war = new File(System.getProperty("example.war", "../examples/wildfly-app/target/agentstore-wildfly-app.war"));
        if (!war.isFile()) {
            throw new IllegalStateException(war + " is missing: build with -am (mvn verify from the root)");
        }
        return ShrinkWrap.createFromZipFile(WebArchive.class, war);
    }

    /**
     * @param name    the deployment's name, for example {@code flows-it.war}
     * @param classes test classes and helpers to add
     * @return the example WAR under that name, with the classes, {@link TxHelper} and AssertJ
     */
    static WebArchive withTests(String name, Class<?>... classes) {
        WebArchive war = ShrinkWrap.create(WebArchive.class, name).merge(exampleApp());
        war.addClasses(classes).addClass(TxHelper.class);
        war.addAsLibraries(jarOf(Assertions.class));
        return war;
    }

    private static File jarOf(Class<?> type) {
        try {
            return new File(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
