package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;

/**
 * One snapshot of a memory's variables (table {@code memory_variables}): a JSON
 * object written by {@code remember(..., variables)}; the newest snapshot is what {@code recall} returns.
 * Snapshots are immutable and numbered {@link #revision()} 1, 2, 3, … per memory, without gaps or duplicates
 * (the revision is taken while the memory's row is locked). The repository ({@code MemoryRepository}) inserts them
 * with SQL (the surrogate id is the column's default); this entity is the mapping for JPA users' reads (JPQL,
 * Criteria), read-only to JPA ({@link ReadOnlyEntity}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "memory_variables")
public class MemoryVariables {

    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "memory_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String memoryId;

    @Column(name = "revision", nullable = false)
    private long revision;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "variables", columnDefinition = "jsonb", nullable = false)
    private JsonNode variables;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected MemoryVariables() {
    }

    /**
     * A snapshot's values, validated, without its surrogate id.
     *
     * @param memoryId  the memory's id
     * @param revision  the snapshot's number in its memory, 1 or more
     * @param variables a JSON object; copied
     * @param createdAt when it was written
     * @return the snapshot (without a surrogate id)
     * @throws InvalidInputException when a parameter is invalid
     */
    public static MemoryVariables of(String memoryId, long revision, JsonNode variables, Instant createdAt) {
        MemoryVariables v = new MemoryVariables();
        v.memoryId = Memory.requireId("memoryId", memoryId);
        if (revision < 1) {
            throw new InvalidInputException("revision must be 1 or more, was " + revision);
        }
        v.revision = revision;
        v.variables = requireVariables(variables);
        v.createdAt = Check.notNull("createdAt", createdAt);
        return v;
    }

    /**
     * A row as read from the database: for repositories that map {@code memory_variables} rows with SQL. The values
     * are taken as stored and {@code variables} is taken over, not copied: pass a node that nothing else holds, such
     * as one just parsed from the column.
     *
     * @param id        the surrogate id
     * @param memoryId  the memory's id
     * @param revision  the snapshot's number in its memory, 1 or more
     * @param variables a JSON object; taken over
     * @param createdAt when it was written
     * @return the snapshot, not attached to any persistence context
     * @throws InvalidInputException when {@code revision} is less than 1, or {@code memoryId}, {@code variables} or
     *                               {@code createdAt} is {@code null}
     */
    public static MemoryVariables stored(long id, String memoryId, long revision, JsonNode variables,
                                         Instant createdAt) {
        if (revision < 1) {
            throw new InvalidInputException("revision must be 1 or more, was " + revision);
        }
        MemoryVariables v = new MemoryVariables();
        v.id = id;
        v.memoryId = Check.notNull("memoryId", memoryId);
        v.revision = revision;
        v.variables = Check.notNull("variables", variables);
        v.createdAt = Check.notNull("createdAt", createdAt);
        return v;
    }

    /** @return the surrogate id, or {@code null} for a snapshot built by {@link #of} */
    public Long id() {
        return id;
    }

    /** @return the memory's id */
    public String memoryId() {
        return memoryId;
    }

    /** @return the snapshot's number in its memory: 1 for the first, then 2, 3, … */
    public long revision() {
        return revision;
    }

    /** @return a copy of the variables, a JSON object */
    public JsonNode variables() {
        return variables.deepCopy();
    }

    /** @return when the snapshot was written */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * @param variables the variables
     * @return a copy of {@code variables}
     * @throws InvalidInputException when it is {@code null}, not a JSON object, or contains NUL
     */
    public static JsonNode requireVariables(JsonNode variables) {
        return MemoryText.object("variables", variables);
    }

    @Override
    public String toString() {
        return "MemoryVariables[memoryId=" + memoryId + ", revision=" + revision + "]";
    }
}
