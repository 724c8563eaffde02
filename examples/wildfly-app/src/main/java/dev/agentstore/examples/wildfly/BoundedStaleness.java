package dev.agentstore.examples.wildfly;

import jakarta.enterprise.util.AnnotationLiteral;
import jakarta.interceptor.InterceptorBinding;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Interceptor binding of {@link BoundedStalenessInterceptor}: a repository on the replica's datasource whose
 * {@link dev.agentstore.persistence.support.ReadOnly} methods run on the primary while the replica is further behind
 * than the configured bound. {@link ReplicaRepositories} adds it to the {@code @ReadReplica} repositories it produces.
 */
@InterceptorBinding
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface BoundedStaleness {

    /** The annotation as a value, for {@code InterceptionFactory.configure().add(...)}. Immutable. */
    final class Literal extends AnnotationLiteral<BoundedStaleness> implements BoundedStaleness {
        private static final long serialVersionUID = 1L;

        /** The one instance. */
        public static final Literal INSTANCE = new Literal();

        private Literal() {
        }
    }
}
