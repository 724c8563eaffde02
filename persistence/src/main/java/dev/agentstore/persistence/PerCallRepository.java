package dev.agentstore.persistence;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.support.ReadOnly;
import dev.agentstore.persistence.support.SingleStatement;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.dynamic.scaffold.subclass.ConstructorStrategy;
import net.bytebuddy.implementation.InvocationHandlerAdapter;
import net.bytebuddy.matcher.ElementMatchers;

import dev.agentstore.persistence.support.PersistenceErrors;
import jakarta.persistence.PersistenceException;
import org.hibernate.Session;
import org.hibernate.exception.JDBCConnectionException;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Function;

/**
 * Builds a per-call repository: a subclass of a repository class whose every public method runs as its own unit of
 * work on the store, as a container runs a {@code @Transactional(REQUIRED)} method called outside a transaction.
 * Methods marked {@link SingleStatement} run in autocommit mode (one round trip, no {@code BEGIN}/{@code COMMIT});
 * when the store has read replicas, methods marked {@link ReadOnly} in a read-only transaction on a replica or the
 * primary ({@link AgentStore#read}); all others in a transaction that commits when the method returns and rolls back when it
 * throws.
 */
final class PerCallRepository {

    private PerCallRepository() {
    }

    /**
     * @param type     the repository class (it has a no-argument constructor, as CDI needs for its proxies)
     * @param accessor how a unit of work hands out that repository
     * @param store    the store whose units of work the calls run in
     * @param <R>      the repository type
     * @return the per-call repository
     */
    static <R> R create(Class<R> type, Function<UnitOfWork, R> accessor, AgentStore store) {
        InvocationHandler handler = (proxy, method, args) -> {
            String operation = type.getSimpleName() + "." + method.getName();
            Function<UnitOfWork, Object> call = uow -> invoke(accessor.apply(uow), method, args);
            return method.isAnnotationPresent(ReadOnly.class) && store.hasReplicas() ? store.perCallRead(operation, call)
                    : store.perCall(operation, method.isAnnotationPresent(SingleStatement.class), call);
        };
        try {
            return new ByteBuddy()
                    .subclass(type, ConstructorStrategy.Default.IMITATE_SUPER_CLASS_OPENING)
                    .method(ElementMatchers.isPublic().and(ElementMatchers.isDeclaredBy(type)))
                    .intercept(InvocationHandlerAdapter.of(handler))
                    .make()
                    .load(type.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
                    .getLoaded()
                    .getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException e) {
            throw new AgentStoreException("could not create the per-call " + type.getSimpleName(), e);
        }
    }

    private static Object invoke(Object repository, Method method, Object[] args) {
        try {
            return method.invoke(repository, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new AgentStoreException(method.getName() + " failed", cause);
        } catch (IllegalAccessException e) {
            throw new AgentStoreException("could not call " + method, e);
        }
    }

    /**
     * One call of a per-call repository: a transaction, or, for a single-statement method, autocommit mode inside
     * the transaction's bounds. pgjdbc sends {@code BEGIN} only with the first statement of a transaction and
     * {@code COMMIT} only when one was sent, so a statement run with autocommit switched on (nothing sent before it)
     * leaves an empty transaction whose commit and rollback cost no round trip. A connection lost during the
     * autocommit statement leaves its outcome unknown, so that failure is not retry-safe.
     *
     * @param store     the store whose unit of work the call runs in
     * @param operation the repository method, for example {@code FlowRunRepository.update}, named in the failures
     *                  of the begin and commit
     */
    static <T> T call(AgentStore store, String operation, boolean singleStatement, Function<UnitOfWork, T> call) {
        if (!singleStatement) {
            return store.fromTransaction(operation, call);
        }
        return store.fromTransaction(operation, uow -> {
            Connection connection = uow.entityManager().unwrap(Session.class).doReturningWork(c -> c);
            try {
                connection.setAutoCommit(true); // nothing was sent on this connection yet: no round trip
            } catch (SQLException e) {
                throw PersistenceErrors.translate(operation + " (switch autocommit on)",
                        new JDBCConnectionException("could not switch autocommit on", e));
            }
            T result;
            try {
                result = call.apply(uow);
            } catch (AgentStoreException | PersistenceException e) {
                switchAutoCommitOff(connection, e);
                throw PersistenceErrors.translateOutcomeUnknown(operation, e);
            } catch (RuntimeException | Error e) {
                switchAutoCommitOff(connection, e);
                throw e;
            }
            switchAutoCommitOff(connection, null);
            return result;
        });
    }

    /**
     * Switches autocommit off again after a single-statement call (no round trip: pgjdbc only sets a flag).
     *
     * @param pending the call's failure, to which a failure here is added as suppressed; {@code null} when the call
     *                returned, whose statement has then committed
     */
    private static void switchAutoCommitOff(Connection connection, Throwable pending) {
        try {
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            if (pending != null) {
                pending.addSuppressed(e);
                return;
            }
            throw new AgentStoreException("the statement committed, but autocommit could not be switched off"
                    + " again: " + e.getMessage(), e);
        }
    }
}
