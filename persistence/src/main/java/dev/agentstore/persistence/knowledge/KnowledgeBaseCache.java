package dev.agentstore.persistence.knowledge;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import jakarta.persistence.EntityManager;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.jdbi.v3.core.Handle;

import java.util.Optional;

/**
 * The knowledge-base definitions that {@link ChunkRepository}'s searches build their SQL from, cached so that a search
 * needs no read of its base before the search statement. One cache per Hibernate session factory (one per
 * {@code AgentStore}, one per persistence unit in a container: one database schema), held weakly, so a closed store's
 * entries go with it; at most {@value #MAX_BASES} bases each, the least recently used evicted first.
 *
 * <p><b>Never trusted, always checked.</b> A cached definition may be stale: another transaction or process may have
 * changed the base's index, or deleted the base and created it again with another dimension. So every search
 * statement checks the definition it was built from against the base's row, in the same statement and snapshot
 * ({@link #VALID}): it reads no chunk unless the row still has exactly that {@link #DEFINITION}, and reports whether it
 * did. When not, the search evicts the entry, reads the definition again ({@link #load}) and runs again; a base that is
 * gone then throws {@link NotFoundException}. A stale definition therefore never computes a result, and, as no chunk
 * is read with it, never makes the statement fail either (for example by casting the embeddings of a re-created base
 * to the old dimension), which would abort the caller's transaction.
 *
 * <p><b>Only committed definitions.</b> {@link #load} stores what it read only when the reading transaction has
 * written nothing yet ({@code pg_current_xact_id_if_assigned() IS NULL}): then it saw committed data, never a change of
 * its own that might still roll back. {@link KnowledgeRepository} evicts a base's entry when it changes or deletes it;
 * correctness does not depend on that.
 */
final class KnowledgeBaseCache {

    /** The most bases cached per session factory: 1,000. */
    static final int MAX_BASES = 1_000;

    /**
     * Everything of a {@code knowledge_bases} row that a search depends on, as one text: the version (raised by every
     * index change), the dimension, distance, vector type, index and text-search configuration, and the creation time (in microseconds since
     * 1970, independent of the session's time zone and date style).
     */
    static final String DEFINITION = """
            concat_ws(' ', version, dimension, distance, vector_type, index_type, hnsw_m, hnsw_ef_construction,
                      ivfflat_lists, text_config, CAST(extract(epoch FROM created_at) * 1000000 AS bigint))""";

    /**
     * Whether the base (parameter {@code :base}: its name) still has the definition a statement was built from
     * (parameter {@code :definition}: {@link Definition#text()}); one row, one boolean column {@code valid}.
     */
    static final String VALID = "SELECT EXISTS (SELECT FROM knowledge_bases WHERE name = :base AND " + DEFINITION
            + " = :definition) AS valid";

    private static final String LOAD = """
            SELECT %s,
                   %s AS definition, pg_current_xact_id_if_assigned() IS NULL AS committed
              FROM knowledge_bases
             WHERE name = :name""".formatted(KnowledgeBaseSql.COLUMNS, DEFINITION);

    private static final Cache<SessionFactory, Cache<String, Definition>> BY_FACTORY =
            Caffeine.newBuilder().weakKeys().build();

    private KnowledgeBaseCache() {
    }

    /**
     * A base's definition as a search uses it.
     *
     * @param kb     the base, detached, as its row was read
     * @param text   the row's {@link #DEFINITION} when it was read
     * @param cached whether it came from the cache (and may be stale) rather than from the database just now
     */
    record Definition(KnowledgeBase kb, String text, boolean cached) {
    }

    /**
     * @param em   the caller's entity manager (it names the session factory)
     * @param name the base's name
     * @return the cached definition, or {@code null}
     */
    static Definition get(EntityManager em, String name) {
        Cache<String, Definition> bases = BY_FACTORY.getIfPresent(factory(em));
        return bases == null ? null : bases.getIfPresent(name);
    }

    /**
     * Forgets a base's definition.
     *
     * @param em   the caller's entity manager (it names the session factory)
     * @param name the base's name
     */
    static void evict(EntityManager em, String name) {
        Cache<String, Definition> bases = BY_FACTORY.getIfPresent(factory(em));
        if (bases != null) {
            bases.invalidate(name);
        }
    }

    /**
     * Reads a base's definition with {@code handle} (one statement) and caches it when the transaction has written
     * nothing yet (see the class comment).
     *
     * @param em     the caller's entity manager (it names the session factory)
     * @param handle a handle on its connection
     * @param name   the base's name (validated)
     * @return the definition, not {@code cached}
     * @throws NotFoundException when there is no base of that name
     */
    static Definition load(EntityManager em, Handle handle, String name) {
        Optional<Loaded> loaded = handle.createQuery(LOAD)
                .bind("name", name)
                .map((rs, ctx) -> new Loaded(new Definition(KnowledgeBaseSql.ROW.map(rs, ctx),
                        rs.getString("definition"), false), rs.getBoolean("committed")))
                .findOne();
        if (loaded.isEmpty()) {
            evict(em, name);
            throw new NotFoundException("KnowledgeBase", name);
        }
        Definition d = loaded.get().definition();
        if (loaded.get().committed()) {
            BY_FACTORY.get(factory(em), f -> Caffeine.newBuilder().maximumSize(MAX_BASES).build())
                    .put(name, new Definition(d.kb(), d.text(), true));
        }
        return d;
    }

    /** A definition as read, and whether the reading transaction had written nothing yet. */
    private record Loaded(Definition definition, boolean committed) {
    }

    private static SessionFactory factory(EntityManager em) {
        return em.unwrap(Session.class).getSessionFactory();
    }
}
