package dev.agentstore.persistence;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.support.SingleStatement;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.dynamic.scaffold.subclass.ConstructorStrategy;
import net.bytebuddy.implementation.InvocationHandlerAdapter;
import net.bytebuddy.matcher.ElementMatchers;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.function.Function;

/**
 * Builds a per-call repository: a subclass of a repository class whose every public method runs as its own unit of
 * work on the store, as a container runs a {@code @Transactional(REQUIRED)} method called outside a transaction.
 * Methods marked {@link SingleStatement} run in autocommit mode (one round trip, no {@code BEGIN}/{@code COMMIT});
 * all others in a transaction that commits when the method returns and rolls back when it throws.
 */
final class PerCallRepository {

    private PerCallRepository() {
    }

    /**
     * @param type     the repository class (it has a protected no-argument constructor, for CDI's proxies)
     * @param accessor how a unit of work hands out that repository
     * @param store    the store whose units of work the calls run in
     * @param <R>      the repository type
     * @return the per-call repository
     */
    static <R> R create(Class<R> type, Function<UnitOfWork, R> accessor, AgentStore store) {
        InvocationHandler handler = (proxy, method, args) -> store.perCall(type.getSimpleName() + "." + method.getName(),
                method.isAnnotationPresent(SingleStatement.class), uow -> invoke(accessor.apply(uow), method, args));
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
}
