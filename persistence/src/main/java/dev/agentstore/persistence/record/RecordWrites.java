package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The single-record writes of {@link RecordRepository} that may be checked against a version: the update or
 * compare-and-set, the insert of a record read as absent, and why such a write wrote nothing. Arguments are
 * validated by the repository; every write records the version it left ({@link ReadVersions}).
 */
final class RecordWrites {

    private static final String ENTITY = "Record";
    private static final long ABSENT = ReadVersions.ABSENT;
    private static final ReadVersions.Entity<Record> VERSIONS =
            new ReadVersions.Entity<>(ENTITY, Record::id, Record::version);

    private final EntityManager em;

    /**
     * @param em the unit of work's entity manager
     */
    RecordWrites(EntityManager em) {
        this.em = em;
    }

    /**
     * Replaces a record: the one-statement update when {@code expected} is empty, else the compare-and-set. For
     * {@code upsert} ({@code gone} true), a record that vanished since it was read is a conflict, not a miss.
     */
    Record replace(String id, JsonNode data, JsonNode metadata, OptionalLong expected, boolean gone, Instant now) {
        Record.requireId(id);
        ObjectNode newData = Record.requireData(id, "data", data);
        String meta = metadata == null ? null
                : JsonWrites.print(em, "metadata", Record.requireData(id, "metadata", metadata));
        String dataText = JsonWrites.print(em, "data", newData);
        String context = "update Record id=" + id;
        Optional<Record> written = Sql.call(em, context, h -> {
            org.jdbi.v3.core.statement.Query update = RecordSql.bindRecord(
                    h.createQuery(expected.isEmpty() ? RecordSql.UPDATE : RecordSql.UPDATE_IF_VERSION),
                    id, dataText, meta, now);
            expected.ifPresent(version -> update.bind("expected", version));
            return update.map((rs, ctx) -> stored(rs, id, newData, now)).findOne();
        });
        if (written.isEmpty()) {
            if (expected.isEmpty()) {
                throw new NotFoundException("Record", "id=" + id);
            }
            throw conflictOrNotFound(context, id, expected.getAsLong(), gone);
        }
        return VERSIONS.wrote(em, written.get());
    }

    /** The checked upsert of a record read as absent: an insert that fails when one was created since. */
    Record createRead(Record record) {
        String context = "upsert Record id=" + record.id();
        if (!insert(context, record)) {
            throw conflictOrNotFound(context, record.id(), ABSENT, true);
        }
        return VERSIONS.wrote(em, record);
    }

    /**
     * Why a compare-and-set wrote nothing: {@link NotFoundException} when the record is missing (a conflict instead
     * when {@code gone} is a conflict), else a version mismatch.
     */
    RuntimeException conflictOrNotFound(String context, String id, long expectedVersion, boolean gone) {
        Optional<Long> current = Sql.call(em, context, h -> h.createQuery(RecordSql.VERSION_OF)
                .bind("id", id)
                .mapTo(long.class)
                .findOne());
        if (current.isEmpty()) {
            return gone && expectedVersion != ABSENT
                    ? ConcurrencyConflictException.versionMismatch(ENTITY, id, OptionalLong.of(expectedVersion),
                            OptionalLong.empty())
                    : new NotFoundException("Record", "id=" + id);
        }
        long actual = current.get();
        if (expectedVersion == ABSENT) {
            return ConcurrencyConflictException.versionMismatch(ENTITY, id, OptionalLong.empty(),
                    OptionalLong.of(actual));
        }
        return ReadVersions.conflict(ENTITY, id, expectedVersion, actual);
    }

    /** Inserts a validated record ({@link RecordSql#INSERT}); false when its id exists (nothing written). */
    boolean insert(String context, Record record) {
        String data = JsonWrites.print(em, "data", record.data());
        String metadata = JsonWrites.print(em, "metadata", record.metadata());
        return Sql.call(em, context, h -> RecordSql.bindRecord(h.createQuery(RecordSql.INSERT),
                        record.id(), data, metadata, record.createdAt())
                .mapTo(String.class)
                .findOne()
                .isPresent());
    }

    /** The record a write left, from the metadata, creation time and version its statement returned. */
    static Record stored(ResultSet rs, String id, ObjectNode data, Instant updatedAt) throws SQLException {
        return Record.of(id, data, Json.parse("metadata", rs.getString("metadata")), Sql.instant(rs, "created_at"),
                updatedAt, rs.getLong("version"));
    }
}
