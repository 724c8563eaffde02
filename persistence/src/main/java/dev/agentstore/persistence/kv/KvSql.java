package dev.agentstore.persistence.kv;

import dev.agentstore.persistence.support.IncrementCombiner;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Instant;

/**
 * The statements of {@link KvRepository}, with named parameters: {@code :key}, {@code :value} (JSON text),
 * {@code :expiresAt} and {@code :now} (timestamptz), and what each statement adds.
 */
final class KvSql {

    static final String GET = """
            SELECT CAST(value AS text) AS value, version
              FROM kv_entries
             WHERE key = :key
               AND (expires_at IS NULL OR expires_at > :now)
            """;

    /** A live entry with every column, as {@link dev.agentstore.domain.kv.KvEntry#of} takes them. */
    static final String SELECT_ENTRY = """
            SELECT CAST(value AS text) AS value, expires_at, updated_at, version
              FROM kv_entries
             WHERE key = :key
               AND (expires_at IS NULL OR expires_at > :now)
            """;

    static final String SELECT_ENTRY_FOR_UPDATE = SELECT_ENTRY + " FOR UPDATE";

    static final String SET = """
            INSERT INTO kv_entries (key, value, expires_at, version, updated_at)
            VALUES (:key, CAST(:value AS jsonb), CAST(:expiresAt AS timestamptz), 0, :now)
            ON CONFLICT (key) DO UPDATE
               SET value = EXCLUDED.value,
                   expires_at = EXCLUDED.expires_at,
                   version = kv_entries.version + 1,
                   updated_at = EXCLUDED.updated_at
            """;

    /** As {@link #SET}, but an existing row is only taken over when it has expired; 0 rows affected = not acquired. */
    static final String SET_IF_ABSENT = SET + """
             WHERE kv_entries.expires_at IS NOT NULL
               AND kv_entries.expires_at <= :now
            RETURNING version
            """;

    /** As {@link #SET}, only when the entry still has version {@code :expected}; no row: not written. */
    static final String SET_IF_VERSION = """
            UPDATE kv_entries
               SET value = CAST(:value AS jsonb),
                   expires_at = CAST(:expiresAt AS timestamptz),
                   version = version + 1,
                   updated_at = :now
             WHERE key = :key
               AND version = :expected
            RETURNING version
            """;

    /** Why a checked set wrote nothing: the entry's version (live or not), no row when it is gone. */
    static final String VERSION_OF = """
            SELECT version
              FROM kv_entries
             WHERE key = :key
            """;


    /**
     * A missing or expired key starts from 0 (and an expired one loses its expiry); a live key must hold a JSON
     * integer whose sum with the delta fits in a bigint, else the row is left alone and nothing is returned. The
     * CASE keeps PostgreSQL from casting a non-number to numeric (AND/OR do not fix the evaluation order).
     * {@code :increments}: how many increments {@code :delta} carries (see {@link IncrementCombiner}), one version
     * each.
     */
    static final String INCREMENT = """
            INSERT INTO kv_entries AS e (key, value, expires_at, version, updated_at)
            VALUES (:key, to_jsonb(CAST(:delta AS bigint)), NULL, 0, :now)
            ON CONFLICT (key) DO UPDATE
               SET value = CASE WHEN e.expires_at <= :now THEN EXCLUDED.value
                                ELSE to_jsonb(CAST(e.value AS numeric) + CAST(:delta AS bigint)) END,
                   expires_at = CASE WHEN e.expires_at <= :now THEN NULL ELSE e.expires_at END,
                   version = e.version + :increments,
                   updated_at = EXCLUDED.updated_at
             WHERE e.expires_at <= :now
                OR CASE WHEN jsonb_typeof(e.value) = 'number'
                        THEN scale(CAST(e.value AS numeric)) = 0
                             AND CAST(e.value AS numeric) + CAST(:delta AS bigint)
                                 BETWEEN -9223372036854775808 AND 9223372036854775807
                        ELSE false END
            RETURNING CAST(e.value AS text) AS value, e.version
            """;

    /** Error path of {@link #INCREMENT}: why was the row not updated. */
    static final String CURRENT_VALUE = """
            SELECT CAST(value AS text) AS value
              FROM kv_entries
             WHERE key = :key
            """;

    /** Removes the row whatever its expiry; returns whether it was live. */
    static final String DELETE = """
            DELETE FROM kv_entries
             WHERE key = :key
            RETURNING (expires_at IS NULL OR expires_at > :now)
            """;

    static final String CLEAR = """
            WITH removed AS (
                DELETE FROM kv_entries
                 WHERE key LIKE :pattern ESCAPE '\\'
                RETURNING expires_at)
            SELECT count(*)
              FROM removed
             WHERE expires_at IS NULL OR expires_at > :now
            """;

    static final String KEYS = """
            SELECT key
              FROM kv_entries
             WHERE key LIKE :pattern ESCAPE '\\'
               AND (expires_at IS NULL OR expires_at > :now)
             ORDER BY key COLLATE "C"
             LIMIT :limit
            """;

    /**
     * One bounded batch, oldest expiry first, through the partial index on expires_at. FOR UPDATE re-checks
     * {@code expires_at <= now} on the latest version of each row and keeps it locked until the DELETE, so a row
     * that a concurrent {@code set} renewed is never purged; SKIP LOCKED lets purgers (and writers) run side by side.
     */
    static final String PURGE_BATCH = """
            DELETE FROM kv_entries
             WHERE key IN (SELECT key
                             FROM kv_entries
                            WHERE expires_at <= :now
                            ORDER BY expires_at
                            LIMIT :batchSize
                              FOR UPDATE SKIP LOCKED)
            """;

    /** Binds the columns every write of an entry sets. */
    static <S extends SqlStatement<S>> S bindEntry(S statement, String key, String json, Instant expiresAt,
                                                          Instant now) {
        return statement.bindMap(Sql.parameters("key", key, "value", json, "expiresAt", expiresAt, "now", now));
    }

    /**
     * Translates a Redis-style glob into a LIKE pattern for {@code ESCAPE '\'}: each run of {@code *} becomes
     * {@code %}; {@code %}, {@code _} and {@code \} are escaped; everything else (including {@code ?}) is literal.
     *
     * @param glob the glob
     * @return the LIKE pattern
     */
    static String likePattern(String glob) {
        StringBuilder like = new StringBuilder(glob.length() + 8);
        boolean afterWildcard = false;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (!afterWildcard) {
                    like.append('%');
                }
                afterWildcard = true;
                continue;
            }
            afterWildcard = false;
            if (c == '%' || c == '_' || c == '\\') {
                like.append('\\');
            }
            like.append(c);
        }
        return like.toString();
    }

    private KvSql() {
    }
}
