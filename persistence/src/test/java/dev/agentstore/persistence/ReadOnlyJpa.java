package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Table;
import jakarta.persistence.TypedQuery;
import jakarta.persistence.criteria.CriteriaBuilder;
import jakarta.persistence.criteria.CriteriaQuery;
import jakarta.persistence.criteria.Root;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration;
import org.assertj.core.groups.Tuple;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * What the {@code *JpaMappingTest} classes check of every agentstore entity, written once: reads through JPQL and
 * Criteria, and the refusals of every JPA write ({@code dev.agentstore.domain.ReadOnlyEntity} for {@code persist}
 * and {@code remove}, {@code @Immutable} for changed entities, Hibernate's immutable-entity check for a bulk
 * {@code UPDATE}, {@link ReadOnlyStatementInspector} for a bulk {@code DELETE}). Each test still checks, through the
 * repository, that nothing was written.
 */
public final class ReadOnlyJpa {

    private ReadOnlyJpa() {
    }

    /** The {@code where} and {@code orderBy} of a Criteria query, set on its root. */
    @FunctionalInterface
    public interface CriteriaShape<T> {

        /** Sets {@code query}'s restriction and order on {@code root}. */
        void shape(CriteriaBuilder cb, CriteriaQuery<T> query, Root<T> root);
    }

    /** The rows a JPQL query reads, in a transaction of their own. */
    public static <T> List<T> jpql(AgentStore store, Class<T> type, String jpql) {
        return jpql(store, type, jpql, Map.of());
    }

    /** The rows a JPQL query with named parameters reads, in a transaction of their own. */
    public static <T> List<T> jpql(AgentStore store, Class<T> type, String jpql, Map<String, ?> parameters) {
        return store.fromTransaction(uow -> {
            TypedQuery<T> query = uow.entityManager().createQuery(jpql, type);
            parameters.forEach(query::setParameter);
            return query.getResultList();
        });
    }

    /** The rows a Criteria query of {@code type} shaped by {@code shape} reads, in a transaction of their own. */
    public static <T> List<T> criteria(AgentStore store, Class<T> type, CriteriaShape<T> shape) {
        return store.fromTransaction(uow -> {
            CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
            CriteriaQuery<T> query = cb.createQuery(type);
            shape.shape(cb, query, query.from(type));
            return uow.entityManager().createQuery(query).getResultList();
        });
    }

    /**
     * The rows are the same entities, row by row and field by field (recursively), JSON compared with
     * {@code JsonNode#equals} (a deep comparison).
     */
    public static <T> void assertSameRows(List<T> actual, List<T> expected) {
        assertThat(actual).usingRecursiveFieldByFieldElementComparator(RecursiveComparisonConfiguration.builder()
                .withEqualsForType(JsonNode::equals, JsonNode.class).build()).isEqualTo(expected);
    }

    /**
     * The rows are the same, row by row, in the given attributes: compared with {@code equals} ({@code JsonNode}'s
     * for JSON, a deep comparison), arrays element by element.
     */
    public static <T> void assertSameRows(List<T> actual, List<T> expected, List<Function<T, ?>> attributes) {
        assertThat(tuples(actual, attributes)).isEqualTo(tuples(expected, attributes));
    }

    private static <T> List<Tuple> tuples(List<T> rows, List<Function<T, ?>> attributes) {
        return rows.stream().map(row -> new Tuple(attributes.stream().map(a -> a.apply(row)).toArray())).toList();
    }

    /**
     * The JPA write was refused: what was thrown, or its root cause when it came wrapped, is an
     * {@link UnsupportedOperationException} saying so.
     *
     * @return the refusal, for further assertions
     */
    public static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(Throwable thrown) {
        assertThat(thrown).as("the JPA write must be refused").isNotNull();
        return assertThat(rootCause(thrown)).as("the refusal, thrown or as the root cause").isInstanceOf(
                UnsupportedOperationException.class).hasMessageContaining("read-only to JPA");
    }

    /** The JPA write of an entity of {@code type} was refused by its listener, naming its repository's package. */
    public static void assertRefused(Throwable thrown, Class<?> type) {
        String aggregate = type.getPackageName().substring(type.getPackageName().lastIndexOf('.') + 1);
        assertRefused(thrown).hasMessageContaining(type.getSimpleName() + " is read-only to JPA")
                .hasMessageContaining("dev.agentstore.persistence." + aggregate);
    }

    /** {@code persist} (and a flush) of {@code entity}, a detached copy or a new one, is refused. */
    public static void assertPersistRefused(AgentStore store, Object entity) {
        assertRefused(thrownBy(() -> store.inTransaction(uow -> {
            uow.entityManager().persist(entity);
            uow.entityManager().flush();
        })), entity.getClass());
    }

    /** {@code remove} (and a flush) of the {@code type} with {@code id}, found by {@code find}, is refused. */
    public static void assertRemoveRefused(AgentStore store, Class<?> type, Object id) {
        assertRefused(thrownBy(() -> store.inTransaction(uow -> {
            EntityManager em = uow.entityManager();
            Object entity = em.find(type, id);
            assertThat(entity).as("%s %s", type.getSimpleName(), id).isNotNull();
            em.remove(entity);
            em.flush();
        })), type);
    }

    /**
     * Finds the {@code type} with {@code id}, changes it and flushes, in one transaction that commits: no exception,
     * and (the caller checks) nothing written.
     */
    public static <T> void changeAndFlush(AgentStore store, Class<T> type, Object id, Consumer<? super T> change) {
        store.inTransaction(uow -> {
            T entity = uow.entityManager().find(type, id);
            assertThat(entity).as("%s %s", type.getSimpleName(), id).isNotNull();
            change.accept(entity);
            uow.entityManager().flush();
        });
    }

    /** Sets a field of {@code target} by reflection, for a change the entity has no method for. */
    public static void setField(Object target, String name, Object value) {
        try {
            var field = target.getClass().getDeclaredField(name);
            field.setAccessible(true);
            field.set(target, value);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** A JPQL bulk {@code UPDATE} of {@code type} is refused by Hibernate: the entity is immutable. */
    public static void assertBulkUpdateRefused(AgentStore store, Class<?> type, String jpql) {
        Throwable root = rootCause(bulkWrite(store, jpql));
        assertThat(root).as("the root cause").hasMessageContaining("update an immutable entity")
                .hasMessageContaining(table(type));
    }

    /** A JPQL bulk {@code DELETE} of {@code type} is refused before it is sent: its table is read-only to JPA. */
    public static void assertBulkDeleteRefused(AgentStore store, Class<?> type, String jpql) {
        assertRefused(bulkWrite(store, jpql)).hasMessageContaining("table " + table(type) + " is read-only to JPA");
    }

    private static Throwable bulkWrite(AgentStore store, String jpql) {
        return thrownBy(() -> store.inTransaction(uow -> uow.entityManager().createQuery(jpql).executeUpdate()));
    }

    private static Throwable thrownBy(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).as("the JPA write must be refused").isNotNull();
        return thrown;
    }

    private static Throwable rootCause(Throwable thrown) {
        Throwable root = thrown;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root;
    }

    private static String table(Class<?> type) {
        return type.getAnnotation(Table.class).name();
    }
}
