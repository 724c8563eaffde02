package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.node.IntNode;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Micrometer and OpenTelemetry are optional dependencies: a store whose classpath has neither opens and runs its calls
 * (and reports its health), since the classes that use them load only when they are configured.
 */
class OptionalDependenciesTest {

    /** Loads the test classpath again, without {@code io.micrometer} and {@code io.opentelemetry}. */
    private static URLClassLoader withoutMetricsAndTracing() {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        URL[] urls = java.util.Arrays.stream(classPath.split(File.pathSeparator)).map(p -> {
            try {
                return Path.of(p).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(URL[]::new);
        return new URLClassLoader(urls, ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith("io.micrometer.") || name.startsWith("io.opentelemetry.")) {
                    throw new ClassNotFoundException(name + " (hidden by the test)");
                }
                return super.loadClass(name, resolve);
            }
        };
    }

    @Test
    void aStoreWithoutMicrometerAndOpenTelemetryOnTheClasspathOpensAndRuns() throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = withoutMetricsAndTracing()) {
            assertThatThrownBy(() -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"))
                    .isInstanceOf(ClassNotFoundException.class);
            thread.setContextClassLoader(loader);
            @SuppressWarnings("unchecked")
            Callable<String> run = (Callable<String>) loader.loadClass(RunStore.class.getName())
                    .getDeclaredConstructor().newInstance();

            assertThat(run.call()).isEqualTo("1 UP");
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Runs in the class loader without the optional libraries: opens a store, makes calls, closes it. */
    public static final class RunStore implements Callable<String> {

        @Override
        public String call() {
            AgentStore store = AgentStore.open(AgentStoreExtension.testConfig(
                    AgentStoreExtension.uniqueSchema(OptionalDependenciesTest.class)).build());
            try {
                store.kv().set("plain", IntNode.valueOf(1));
                int value = store.fromTransaction(uow -> uow.kv().get("plain").orElseThrow().intValue());
                return value + " " + store.health().status();
            } finally {
                AgentStoreExtension.dropSchema(store.dataSource(), store.config().schema());
                store.close();
            }
        }
    }
}
