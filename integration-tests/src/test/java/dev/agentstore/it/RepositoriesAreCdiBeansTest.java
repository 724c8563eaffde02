package dev.agentstore.it;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.trigger.TriggerRepository;
import dev.agentstore.persistence.jakarta.TransactionalRetry;
import dev.agentstore.persistence.UnitOfWork;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.RetryPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Without a container (fast, and naming the rule that broke): the rules a CDI container enforces on the repositories
 * it proxies (normal-scoped, non-final, a non-private no-arg constructor, no
 * final public methods) and that each gets its entity manager from {@code @PersistenceContext} and its clock from
 * {@code @Inject}, plus that the
 * persistence jar ships a {@code beans.xml}; and that the repositories join the caller's JTA transaction
 * ({@code REQUIRED}, never {@code REQUIRES_NEW}) without marking it for rollback on agentstore's own exceptions.
 * {@link ContainerRepositoriesTest} checks the same beans inside WildFly.
 */
class RepositoriesAreCdiBeansTest {

    /** Every repository a unit of work hands out, read from {@link UnitOfWork}: the beans a container injects. */
    static Stream<Class<?>> repositories() {
        return Arrays.stream(UnitOfWork.class.getMethods())
                .map(Method::getReturnType)
                .filter(AbstractRepository.class::isAssignableFrom)
                .distinct()
                .sorted(Comparator.comparing(Class::getName))
                .map(type -> (Class<?>) type);
    }

    @org.junit.jupiter.api.Test
    void theListCoversTheRepositoriesOfEveryAggregate() {
        assertThat(repositories()).contains(FlowRepository.class, FlowRunRepository.class, FlowEventRepository.class,
                TriggerRepository.class, SchedulerJobRepository.class, KvRepository.class,
                dev.agentstore.persistence.observability.SpanRepository.class,
                dev.agentstore.persistence.definition.DefinitionRepository.class,
                dev.agentstore.persistence.blob.BlobRepository.class).hasSizeGreaterThanOrEqualTo(22);
    }

    @ParameterizedTest
    @MethodSource("repositories")
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
        assertThat(injectableFields(repository)
                .filter(f -> f.getType() == EntityManager.class)
                .filter(f -> f.isAnnotationPresent(PersistenceContext.class)))
                .as("@PersistenceContext EntityManager field").hasSize(1);
        assertThat(injectableFields(repository)
                .filter(f -> f.getType() == java.time.Clock.class)
                .filter(f -> f.isAnnotationPresent(jakarta.inject.Inject.class)))
                .as("@Inject Clock field (ClockProducer, or the application's alternative)").hasSize(1);
        boolean boundByUnitOfWork = Modifier.isPublic(noArg.getModifiers());
        boolean ownStandaloneConstructor = Arrays.stream(repository.getConstructors())
                .anyMatch(c -> c.getParameterCount() >= 2 && c.getParameterTypes()[0] == EntityManager.class);
        assertThat(boundByUnitOfWork || ownStandaloneConstructor)
                .as("standalone: a public no-argument constructor (UnitOfWork binds the repository with"
                        + " AbstractRepository.bind) or its own (EntityManager, Clock, ...) constructor").isTrue();
    }

    @ParameterizedTest
    @MethodSource("repositories")
    void repositoryJoinsTheCallersTransaction(Class<?> repository) {
        Transactional tx = repository.getAnnotation(Transactional.class);
        assertThat(tx).as("@Transactional on the class").isNotNull();
        assertThat(tx.value()).isEqualTo(Transactional.TxType.REQUIRED);
        assertThat(tx.dontRollbackOn()).containsExactly(AgentStoreException.class);
        assertThat(Arrays.stream(repository.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Transactional.class))
                .map(Method::getName))
                .as("no method-level transaction attribute (REQUIRES_NEW would break joining)").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(classes = TransactionalRetry.class)
    void retryHelperIsAProxyableBeanWithANewTransactionPerAttempt(Class<?> helper) throws Exception {
        assertThat(helper.isAnnotationPresent(ApplicationScoped.class)).isTrue();
        assertThat(Modifier.isFinal(helper.getModifiers())).isFalse();
        assertThat(helper.getMethod("execute", RetryPolicy.class, Supplier.class).getAnnotation(Transactional.class).value())
                .isEqualTo(Transactional.TxType.NEVER);
        assertThat(helper.getMethod("inNewTransaction", Supplier.class).getAnnotation(Transactional.class).value())
                .isEqualTo(Transactional.TxType.REQUIRES_NEW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"META-INF/beans.xml", "META-INF/services/org.hibernate.integrator.spi.Integrator"})
    void persistenceJarShipsItsContainerDescriptors(String resource) {
        assertThat(FlowRepository.class.getClassLoader().getResource(resource)).isNotNull();
    }

    /** The fields the container injects: the class's own and its superclasses' (CDI and EE injection see both). */
    private static java.util.stream.Stream<java.lang.reflect.Field> injectableFields(Class<?> type) {
        return java.util.stream.Stream.<Class<?>>iterate(type, c -> c != Object.class, Class::getSuperclass)
                .flatMap(c -> Arrays.stream(c.getDeclaredFields()));
    }
}
