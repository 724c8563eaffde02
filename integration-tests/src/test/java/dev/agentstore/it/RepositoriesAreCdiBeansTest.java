package dev.agentstore.it;

import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.trigger.TriggerRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Placeholder until the WildFly issue brings Arquillian: checks, without a container, the rules a CDI container
 * enforces on the repositories it will proxy (normal-scoped, non-final, a non-private no-arg constructor, no
 * final public methods) and that each gets its entity manager from {@code @PersistenceContext}, plus that the
 * persistence jar ships a {@code beans.xml}.
 */
class RepositoriesAreCdiBeansTest {

    @ParameterizedTest
    @ValueSource(classes = {FlowRepository.class, FlowRunRepository.class, FlowEventRepository.class,
            TriggerRepository.class, SchedulerJobRepository.class, KvRepository.class,
            dev.agentstore.persistence.memory.MemoryRepository.class, dev.agentstore.persistence.template.TemplateRepository.class,
            dev.agentstore.persistence.configuration.ConfigurationRepository.class,
            dev.agentstore.persistence.record.RecordRepository.class, dev.agentstore.persistence.knowledge.KnowledgeRepository.class,
            dev.agentstore.persistence.knowledge.ChunkRepository.class})
    void repositoryIsAProxyableApplicationScopedBeanWithAnInjectedEntityManager(Class<?> repository) throws Exception {
        assertThat(repository.isAnnotationPresent(ApplicationScoped.class)).as("@ApplicationScoped").isTrue();
        assertThat(Modifier.isFinal(repository.getModifiers())).as("final class").isFalse();
        Constructor<?> noArg = repository.getDeclaredConstructor();
        assertThat(Modifier.isPrivate(noArg.getModifiers())).as("private no-arg constructor").isFalse();
        assertThat(Arrays.stream(repository.getMethods())
                .filter(m -> m.getDeclaringClass() == repository)
                .filter(m -> Modifier.isFinal(m.getModifiers()))
                .map(Method::getName))
                .as("final public methods cannot be proxied").isEmpty();
        assertThat(Arrays.stream(repository.getDeclaredFields())
                .filter(f -> f.getType() == EntityManager.class)
                .filter(f -> f.isAnnotationPresent(PersistenceContext.class)))
                .as("@PersistenceContext EntityManager field").hasSize(1);
        assertThat(repository.getConstructor(EntityManager.class, java.time.Clock.class))
                .as("standalone constructor (EntityManager, Clock)").isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = "META-INF/beans.xml")
    void persistenceJarShipsABeansXml(String resource) {
        assertThat(FlowRepository.class.getClassLoader().getResource(resource)).isNotNull();
    }
}
