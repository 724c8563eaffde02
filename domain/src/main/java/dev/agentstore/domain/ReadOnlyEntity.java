package dev.agentstore.domain;

import jakarta.persistence.PrePersist;
import jakarta.persistence.PreRemove;
import jakarta.persistence.PreUpdate;

/**
 * The entity listener of every agentstore entity: the tables are written by the repositories only (set-based SQL that
 * keeps the store's rules: versions, validation, counters, read-modify-write checks), so JPA may read them (JPQL,
 * Criteria, {@code find}) but not write them: {@code persist} and {@code remove} of an agentstore entity fail with an
 * {@link UnsupportedOperationException} naming the repository's package, before any SQL is sent. The entities are
 * also Hibernate {@code @Immutable}: changes to a loaded entity are never written. A JPQL bulk {@code UPDATE} or
 * {@code DELETE} of them fails too: the store sets {@code hibernate.query.immutable_entity_update_query_handling_mode}
 * to {@code exception} and installs {@code dev.agentstore.persistence.ReadOnlyStatementInspector}, which refuses any
 * write Hibernate would send to an agentstore table.
 *
 * <p>Stateless and thread-safe.
 */
public class ReadOnlyEntity {

    /**
     * Refuses every JPA write of an agentstore entity.
     *
     * @param entity the entity JPA was about to write
     * @throws UnsupportedOperationException always
     */
    @PrePersist
    @PreUpdate
    @PreRemove
    void refuse(Object entity) {
        Class<?> type = entity.getClass();
        String aggregate = type.getPackageName().substring(type.getPackageName().lastIndexOf('.') + 1);
        throw new UnsupportedOperationException(type.getSimpleName() + " is read-only to JPA: write it through its"
                + " repository in dev.agentstore.persistence." + aggregate
                + " (the repositories keep the store's rules: versions, validation, read-modify-write checks)");
    }
}
