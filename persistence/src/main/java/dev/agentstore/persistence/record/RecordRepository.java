package dev.agentstore.persistence.record;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.query.FieldMap;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.ValueKind;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Generic JSONB records: create, create in batches, upsert (one, conditional on a version, or a batch), get, replace
 * with an optional compare-and-set on the version, delete, clear (all or by filter), count, and search with the
 * shared query language ({@link dev.agentstore.persistence.query}).
 *
 * <p><b>Fields.</b> Query paths start with {@code data.} or {@code metadata.} (keys inside the JSON objects), or name
 * a column: {@code id} (text), {@code created_at}, {@code updated_at} (timestamps) and {@code version} (number). For
 * example {@code Filter.gt("data.age", 9)}, {@code Sort.by("created_at").descending()}.
 *
 * <p><b>Indexes.</b> {@code data} and {@code metadata} have GIN indexes ({@code jsonb_path_ops}):
 * {@link Filter#contains(String, Object) contains} filters use them. Other operators on JSON paths evaluate per row;
 * add an expression index for a hot path (for example {@code CREATE INDEX ON records ((data ->> 'status'))}, which
 * serves text {@code eq}/{@code in}/{@code like 'prefix%'} on {@code data.status}; the renderer writes that exact
 * expression).
 *
 * <p><b>Concurrency.</b> Every write is one statement. {@link #update(String, JsonNode, JsonNode, long)} is a
 * compare-and-set: {@code UPDATE ... WHERE id = ? AND version = ?}. {@link #create} never aborts the caller's
 * transaction on a duplicate: it inserts with {@code ON CONFLICT DO NOTHING} and throws
 * {@link DuplicateException} itself, so the caller may catch it and go on.
 *
 * <p><b>Read-modify-write.</b> A record that a unit of work read ({@link #get}, {@link #search},
 * {@link #getForUpdate}, or its own earlier write) is written by {@link #update(String, JsonNode, JsonNode)} and
 * {@link #upsert} only if it still has the version read, or, when {@link #get} found none, is still absent
 * ({@link ReadVersions}): the write becomes the compare-and-set (an insert that fails on an existing id, for a
 * record read as absent), and when another transaction changed the record in between it writes nothing and fails
 * with a {@link ConcurrencyConflictException} carrying both versions, so {@code n + 1} computed from a read is never
 * lost; {@code fromTransactionWithRetry} re-runs the unit of work. {@link #getForUpdate} locks the row at the read
 * instead, so concurrent writers queue (for hot rows). Callers outside a unit of work pass the version they read
 * ({@link #update(String, JsonNode, JsonNode, long)}, {@link #delete(String, long)}). {@link #delete(String)} is not
 * checked. With nothing read, every write is the one-statement form.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the unit
 * of work's connection; records handed out are immutable snapshots built from the rows ({@link Record} is read-only
 * to JPA), never instances in the persistence context.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class RecordRepository extends AbstractRepository {

    /** Most records in one {@link #createBatch} call: 10,000. */
    public static final int MAX_BATCH_SIZE = 10_000;

    /** The roots of query paths: the JSON objects and the plain columns. */
    public static final FieldMap FIELDS = FieldMap.builder()
            .json("data", "r.data")
            .json("metadata", "r.metadata")
            .column("id", "r.id", ValueKind.TEXT)
            .column("created_at", "r.created_at", ValueKind.TIMESTAMP)
            .column("updated_at", "r.updated_at", ValueKind.TIMESTAMP)
            .column("version", "r.version", ValueKind.NUMBER)
            .build();

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "Record";
    /** Records the versions of what this class hands out and writes ({@link ReadVersions}). */
    private static final ReadVersions.Entity<Record> VERSIONS =
            new ReadVersions.Entity<>(ENTITY, Record::id, Record::version);

    /** What {@link ReadVersions} records for an id that {@link #get} found no record for. */
    private static final long ABSENT = ReadVersions.ABSENT;

    /**
     * Creates a record with a generated UUID id and no metadata.
     *
     * @param data a JSON object
     * @return the record as stored (version 0)
     * @throws InvalidInputException when {@code data} is not a JSON object or contains NUL; nothing is written
     */
    public Record create(JsonNode data) {
        return create(null, data, null);
    }

    /**
     * Creates a record; a duplicate id is an error, not an overwrite (use
     * {@link #upsert} for that). The transaction stays usable after a {@link DuplicateException}: the insert is
     * {@code ON CONFLICT DO NOTHING} and the repository reports the conflict. One statement.
     *
     * @param id       the id, 1–255 characters, or {@code null} for a generated UUID
     * @param data     a JSON object
     * @param metadata a JSON object, or {@code null} for {@code {}}
     * @return the record as stored (version 0, created and updated now)
     * @throws InvalidInputException when the id, data or metadata is invalid; nothing is written
     * @throws DuplicateException    when a record with that id exists; nothing is written
     */
    public Record create(String id, JsonNode data, JsonNode metadata) {
        Record record = Record.create(id, data, metadata, now());
        if (!writes().insert("create Record id=" + record.id(), record)) {
            throw new DuplicateException("create Record id=" + record.id() + ": already exists", null,
                    List.of(record.id()));
        }
        return VERSIONS.wrote(em, record);
    }

    /**
     * Creates several records, all or nothing: every record is validated before
     * anything is written, and all rows go in one statement (one round trip). When an id already exists, the rows
     * this call inserted are deleted again (a second statement) and {@link DuplicateException} names the existing
     * ids, so nothing of the batch remains and the transaction stays usable.
     *
     * @param records the records, 0 to {@value #MAX_BATCH_SIZE}; ids unique within the batch
     * @return the records as stored, in the given order (generated ids filled in)
     * @throws InvalidInputException when a record is {@code null} or invalid, an id appears twice, or the batch is
     *                               too large; the message names the record's position; nothing is written
     * @throws DuplicateException    when an id already exists; nothing is written
     */
    public List<Record> createBatch(List<NewRecord> records) {
        Check.batch("records", records, MAX_BATCH_SIZE);
        if (records.isEmpty()) {
            return List.of();
        }
        List<Record> created = new RecordBatch(em).create(records, now());
        created.forEach(x -> VERSIONS.wrote(em, x));
        return created;
    }

    /**
     * Creates the record or replaces its data (and metadata, when given). One
     * statement ({@code INSERT ... ON CONFLICT DO UPDATE}); a replaced record keeps its creation time and gets
     * version + 1.
     *
     * @param id       the id, 1–255 characters
     * @param data     a JSON object, replacing the stored data
     * @param metadata a JSON object replacing the stored metadata, or {@code null} to keep it ({@code {}} for a new
     *                 record)
     * @return the record as stored
     * @throws InvalidInputException        when the id, data or metadata is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the record (or its absence) and another
     *                                      transaction changed, created or deleted it since (see the class
     *                                      description); nothing is written
     */
    public Record upsert(String id, JsonNode data, JsonNode metadata) {
        Record record = Record.create(Record.requireId(id), data, metadata, now());
        OptionalLong expected = versions().expected(ENTITY, id);
        if (expected.isPresent()) {
            return expected.getAsLong() == ABSENT ? writes().createRead(record)
                    : writes().replace(id, data, metadata, expected, true, now());
        }
        String meta = metadata == null ? null : JsonWrites.print(em, "metadata", record.metadata());
        String dataText = JsonWrites.print(em, "data", record.data());
        return Sql.call(em, "upsert Record id=" + id, h -> RecordSql.bindRecord(h.createQuery(RecordSql.UPSERT),
                        id, dataText, meta, record.updatedAt())
                .map((rs, ctx) -> RecordWrites.stored(rs, id, record.data(), record.updatedAt()))
                .one());
    }

    /**
     * Conditional upsert: creates the record when {@code expectedVersion} is empty and there is none, or replaces it
     * (as {@link #upsert(String, JsonNode, JsonNode)}) when its version is still {@code expectedVersion}; pass what
     * the caller read ({@code get(id)}'s version, or empty when it found none). One statement.
     *
     * @param id              the id, 1–255 characters
     * @param data            a JSON object, replacing the stored data
     * @param metadata        a JSON object replacing the stored metadata, or {@code null} to keep it ({@code {}} for
     *                        a new record)
     * @param expectedVersion the version the caller's change is based on; empty: the caller found no record
     * @return the record as stored
     * @throws InvalidInputException        when the id, data, metadata or version is invalid; nothing is written
     * @throws ConcurrencyConflictException when the record is not as expected: another version, created since
     *                                      (expected empty) or deleted since; its {@code expectedVersion()} and
     *                                      {@code actualVersion()} say which (empty = no record); nothing is written
     *                                      and the transaction stays usable
     */
    public Record upsert(String id, JsonNode data, JsonNode metadata, OptionalLong expectedVersion) {
        Record record = Record.create(Record.requireId(id), data, metadata, now());
        Check.notNull("expectedVersion", expectedVersion);
        if (expectedVersion.isEmpty()) {
            return writes().createRead(record);
        }
        Check.notNegative("expectedVersion", expectedVersion.getAsLong());
        return writes().replace(id, data, metadata, expectedVersion, true, now());
    }

    /**
     * Creates or replaces several records in one statement ({@code INSERT ... ON CONFLICT DO UPDATE}), as
     * {@link #upsert(String, JsonNode, JsonNode)} does for each: a replaced record keeps its creation time and gets
     * version + 1; a {@code null} metadata keeps the stored one ({@code {}} for a new record). Every record is
     * validated before anything is written. A record this unit of work read (or read as absent) is written only if
     * it is still as read (see the class description); when one is not, nothing of the batch is written.
     *
     * @param records the records, 0 to {@value #MAX_BATCH_SIZE}; ids unique within the batch ({@code null}: a
     *                generated UUID, so a create)
     * @return the records as stored, in the given order
     * @throws InvalidInputException        when a record is {@code null} or invalid, an id appears twice, or the
     *                                      batch is too large; the message names the record's position; nothing is
     *                                      written
     * @throws ConcurrencyConflictException when a record read in this unit of work was changed, created or deleted
     *                                      since, naming it and both versions; nothing of the batch is written
     */
    public List<Record> upsertBatch(List<NewRecord> records) {
        Check.batch("records", records, MAX_BATCH_SIZE);
        Map<String, Long> expected = new HashMap<>();
        for (NewRecord r : records) {
            if (r.id() != null) {
                versions().expected(ENTITY, r.id()).ifPresent(v -> expected.put(r.id(), v));
            }
        }
        List<Record> stored = records.isEmpty() ? List.of() : new RecordBatch(em).upsert(records, now(), expected,
                (id, version) -> writes().conflictOrNotFound("upsert Record id=" + id, id,
                        version == null ? ABSENT : version, true));
        stored.forEach(x -> VERSIONS.wrote(em, x));
        return stored;
    }

    /**
     * Reads a record. In a unit of work, the version read (or that there is none) is remembered: a later
     * {@link #update(String, JsonNode, JsonNode)} or {@link #upsert} of the record in the same unit of work writes
     * only if the record has not changed since (see the class description).
     *
     * @param id the id
     * @return the record, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Record> get(String id) {
        Record.requireId(id);
        return get(id, RecordSql.GET, "get Record id=" + id);
    }

    /**
     * Reads a record and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers
     * of the record queue behind this unit of work instead of failing its later write with a conflict: the form for
     * hot rows. A missing record is not locked. Needs a transaction (a unit of work, or a container transaction).
     *
     * @param id the id
     * @return the record, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Record> getForUpdate(String id) {
        Record.requireId(id);
        return get(id, RecordSql.GET_FOR_UPDATE, "get Record id=" + id + " for update");
    }

    private Optional<Record> get(String id, String sql, String context) {
        Optional<Record> record = Sql.call(em, context, h -> h.createQuery(sql)
                .bind("id", id)
                .map(RecordSql.RECORD)
                .findOne());
        record.ifPresentOrElse(x -> VERSIONS.read(em, x), () -> versions().read(ENTITY, id, ABSENT));
        return record;
    }

    /**
     * Replaces a record's data (and metadata, when given); nothing is merged. One statement; version + 1.
     *
     * @param id       the id
     * @param data     a JSON object, replacing the stored data
     * @param metadata a JSON object replacing the stored metadata, or {@code null} to keep it
     * @return the record as stored
     * @throws InvalidInputException        when the id, data or metadata is invalid; nothing is written
     * @throws NotFoundException            when there is no record with that id
     * @throws ConcurrencyConflictException when this unit of work read the record and another transaction changed
     *                                      it since (see the class description); nothing is written
     */
    public Record update(String id, JsonNode data, JsonNode metadata) {
        Record.requireId(id);
        return writes().replace(id, data, metadata, versions().expected(ENTITY, id), false, now());
    }

    /**
     * Compare-and-set: replaces a record's data (and metadata, when given) only when its version is still
     * {@code expectedVersion} (the version of the copy the caller read). One statement
     * ({@code UPDATE ... WHERE id = ? AND version = ?}); version + 1.
     *
     * @param id              the id
     * @param data            a JSON object, replacing the stored data
     * @param metadata        a JSON object replacing the stored metadata, or {@code null} to keep it
     * @param expectedVersion the version the caller's change is based on
     * @return the record as stored
     * @throws InvalidInputException        when the id, data or metadata is invalid; nothing is written
     * @throws NotFoundException            when there is no record with that id
     * @throws ConcurrencyConflictException when the record's version is not {@code expectedVersion} (it carries
     *                                      both versions); nothing is written and the transaction stays usable
     */
    public Record update(String id, JsonNode data, JsonNode metadata, long expectedVersion) {
        Check.notNegative("expectedVersion", expectedVersion);
        return writes().replace(id, data, metadata, OptionalLong.of(expectedVersion), false, now());
    }

    /**
     * Deletes a record. One statement.
     *
     * @param id the id
     * @return whether a record was deleted
     * @throws InvalidInputException when the id is invalid
     */
    public boolean delete(String id) {
        Record.requireId(id);
        boolean deleted = Sql.call(em, "delete Record id=" + id, h -> h.createUpdate(RecordSql.DELETE)
                .bind("id", id)
                .execute()) == 1;
        versions().wrote(ENTITY, id, ABSENT);
        return deleted;
    }

    /**
     * Deletes a record only when its version is {@code expectedVersion} (compare-and-delete). One statement, plus a
     * read to tell a missing record from a changed one.
     *
     * @param id              the id
     * @param expectedVersion the version the caller's decision is based on
     * @throws InvalidInputException        when the id is invalid
     * @throws NotFoundException            when there is no record with that id
     * @throws ConcurrencyConflictException when the record's version is not {@code expectedVersion} (it carries
     *                                      both versions)
     */
    public void delete(String id, long expectedVersion) {
        Record.requireId(id);
        String context = "delete Record id=" + id;
        int deleted = Sql.call(em, context, h -> h.createUpdate(RecordSql.DELETE_IF_VERSION)
                .bind("id", id).bind("expected", expectedVersion).execute());
        if (deleted == 0) {
            throw writes().conflictOrNotFound(context, id, expectedVersion, false);
        }
        versions().wrote(ENTITY, id, ABSENT);
    }

    /**
     * Deletes every record. One statement.
     *
     * @return how many records were deleted
     */
    public long clear() {
        return clear(Filter.all());
    }

    /**
     * Deletes the records matching {@code filter}, in one statement, and says how many. Not checked against versions
     * read (as {@link #delete(String)}); a record this unit of work read and this call deleted reads as absent to its
     * later writes.
     *
     * @param filter which records to delete ({@link Filter#all()} for all)
     * @return how many records were deleted
     * @throws InvalidInputException when the filter is invalid for records, or (from PostgreSQL) a regex is invalid
     *                               or a date-like string is not a date; nothing is deleted
     */
    public long clear(Filter filter) {
        Check.notNull("filter", filter);
        ReadVersions versions = versions();
        return new RecordSearch(em).delete(filter,
                versions.holds(ENTITY) ? id -> versions.wrote(ENTITY, id, ABSENT) : null);
    }

    /** @return how many records there are */
    public long count() {
        return count(Filter.all());
    }

    /**
     * @param filter which records to count ({@link Filter#all()} for all)
     * @return how many records match
     * @throws InvalidInputException when the filter is invalid for records (unknown root, wrong kind for a column)
     */
    public long count(Filter filter) {
        return new RecordSearch(em).count(Check.notNull("filter", filter));
    }

    /**
     * Searches records: the query's filter, its sort keys then the id (so equal
     * sort values page stably), its limit and offset. One statement. A query with a projection is rejected: use
     * {@link #project(Query)}.
     *
     * @param query the query; paths start with {@code data.}, {@code metadata.}, or name a column ({@code id},
     *              {@code created_at}, {@code updated_at}, {@code version})
     * @return the matching records, whole, in order
     * @throws InvalidInputException when the query is invalid for records or has a projection, or (from
     *                               PostgreSQL) a regex is invalid or a date-like string is not a date
     */
    public List<Record> search(Query query) {
        Check.notNull("query", query);
        if (!query.projection().isEmpty()) {
            throw new InvalidInputException("query has a projection; use project(query) to read selected fields");
        }
        return new RecordSearch(em).search(query).stream().map(x -> VERSIONS.read(em, x)).toList();
    }

    /**
     * Searches records and returns only the selected fields (the query's projection):
     * per record a JSON object with its {@code id} and each selected field at its path, for example
     * {@code select("data.name", "metadata.source")} gives
     * {@code {"id":"r1","data":{"name":"Alice"},"metadata":{"source":"web"}}}. A field the record does not have is
     * left out; one holding JSON {@code null} is {@code null}. Filter, order and window as {@link #search(Query)}.
     *
     * @param query the query, with at least one projected field
     * @return one JSON object per matching record, in order
     * @throws InvalidInputException when the query is invalid for records or has no projection
     */
    public List<ObjectNode> project(Query query) {
        Check.notNull("query", query);
        if (query.projection().isEmpty()) {
            throw new InvalidInputException("query has no projection; select(...) the fields to read, or use search");
        }
        return new RecordSearch(em).project(query);
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    /** The single-record writes, on this unit of work's entity manager. */
    private RecordWrites writes() {
        return new RecordWrites(em);
    }

    /** "Now" at PostgreSQL's precision, so that what is returned equals what is read back. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
