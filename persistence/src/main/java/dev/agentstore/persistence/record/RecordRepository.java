package dev.agentstore.persistence.record;

import dev.agentstore.domain.AgentStoreException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.query.FieldMap;
import dev.agentstore.persistence.query.FieldPath;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import dev.agentstore.persistence.query.ValueKind;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.ReadVersions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import org.hibernate.query.NativeQuery;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Generic JSONB records: create, create in batches, upsert, get, replace with an
 * optional compare-and-set on the version, delete, count, and search with the shared query language
 * ({@link dev.agentstore.persistence.query}).
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
 * <p>Runs in the caller's transaction; never begins or commits one. Records handed out are immutable snapshots read
 * with native SQL; this repository never leaves {@link Record} instances in the persistence context.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class RecordRepository {

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

    private static final QueryRenderer RENDERER = new QueryRenderer(FIELDS);

    private static final String COLUMNS =
            "r.id, CAST(r.data AS text), CAST(r.metadata AS text), r.created_at, r.updated_at, r.version";

    private static final String INSERT = """
            INSERT INTO records (id, data, metadata, created_at, updated_at, version)
            VALUES (?1, CAST(?2 AS jsonb), CAST(?3 AS jsonb), ?4, ?4, 0)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """;

    /** ?1: a JSON array of {"id", "data", "metadata"} objects; one statement for the whole batch. */
    private static final String INSERT_BATCH = """
            INSERT INTO records (id, data, metadata, created_at, updated_at, version)
            SELECT e ->> 'id', e -> 'data', e -> 'metadata', ?2, ?2, 0
              FROM jsonb_array_elements(CAST(?1 AS jsonb)) WITH ORDINALITY AS t(e, n)
             ORDER BY n
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """;

    /** Takes back the rows of a batch that hit a duplicate (rows this transaction just inserted). */
    private static final String UNDO_BATCH = """
            DELETE FROM records WHERE id IN (SELECT jsonb_array_elements_text(CAST(?1 AS jsonb)))
            """;

    /** ?3 NULL keeps the stored metadata ({} for a new record). */
    private static final String UPSERT = """
            INSERT INTO records AS r (id, data, metadata, created_at, updated_at, version)
            VALUES (?1, CAST(?2 AS jsonb), COALESCE(CAST(?3 AS jsonb), jsonb_build_object()), ?4, ?4, 0)
            ON CONFLICT (id) DO UPDATE
               SET data = EXCLUDED.data,
                   metadata = COALESCE(CAST(?3 AS jsonb), r.metadata),
                   updated_at = EXCLUDED.updated_at,
                   version = r.version + 1
            RETURNING CAST(r.metadata AS text), r.created_at, r.version
            """;

    /** A record's update; {@code %s} is an extra condition ({@link #UPDATE_IF_VERSION}) or nothing. */
    private static final String UPDATE_WHERE = """
            UPDATE records r
               SET data = CAST(?2 AS jsonb), metadata = COALESCE(CAST(?3 AS jsonb), r.metadata), updated_at = ?4,
                   version = r.version + 1
             WHERE r.id = ?1%s
            RETURNING CAST(r.metadata AS text), r.created_at, r.version
            """;

    private static final String UPDATE = UPDATE_WHERE.formatted("");

    /** As {@link #UPDATE}, only when the record still has version ?5; no row = not written. */
    private static final String UPDATE_IF_VERSION = UPDATE_WHERE.formatted(" AND r.version = ?5");

    private static final String VERSION_OF = "SELECT version FROM records WHERE id = ?1";

    private static final String GET = "SELECT " + COLUMNS + " FROM records r WHERE r.id = ?1";

    private static final String DELETE = "DELETE FROM records WHERE id = ?1";

    private static final String DELETE_IF_VERSION = "DELETE FROM records WHERE id = ?1 AND version = ?2";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "Record";

    /** What {@link ReadVersions} records for an id that {@link #get} found no record for. */
    private static final long ABSENT = ReadVersions.ABSENT;

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

    /** For CDI's proxy; the container injects the entity manager. */
    protected RecordRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public RecordRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

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
        List<?> inserted = db("create Record id=" + record.id(), () -> query(INSERT)
                .setParameter(1, record.id())
                .setParameter(2, JsonWrites.print(em, "data", record.data()))
                .setParameter(3, JsonWrites.print(em, "metadata", record.metadata()))
                .setParameter(4, record.createdAt())
                .getResultList());
        if (inserted.isEmpty()) {
            throw new DuplicateException("create Record id=" + record.id() + ": already exists", null);
        }
        return wrote(record);
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
        Check.noNulls("records", records);
        if (records.size() > MAX_BATCH_SIZE) {
            throw new InvalidInputException("records must be at most " + MAX_BATCH_SIZE + ", was " + records.size());
        }
        if (records.isEmpty()) {
            return List.of();
        }
        Instant now = now();
        List<Record> valid = new ArrayList<>(records.size());
        Set<String> ids = new HashSet<>();
        ArrayNode rows = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < records.size(); i++) {
            NewRecord r = records.get(i);
            Record record;
            try {
                record = Record.create(r.id(), r.data(), r.metadata(), now);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("records[" + i + "]: " + e.getMessage(), e);
            }
            if (!ids.add(record.id())) {
                throw new InvalidInputException("records[" + i + "]: id " + record.id() + " appears twice in the batch");
            }
            JsonWrites.check(em, "records[" + i + "].data", record.data());
            JsonWrites.check(em, "records[" + i + "].metadata", record.metadata());
            valid.add(record);
            ObjectNode row = rows.addObject();
            row.put("id", record.id());
            row.set("data", record.data());
            row.set("metadata", record.metadata());
        }
        String context = "create " + records.size() + " Records";
        List<?> inserted = db(context, () -> query(INSERT_BATCH)
                .setParameter(1, Json.print(rows))
                .setParameter(2, now)
                .getResultList());
        if (inserted.size() != valid.size()) {
            Set<String> duplicates = new LinkedHashSet<>(ids);
            ArrayNode undo = JsonNodeFactory.instance.arrayNode();
            for (Object id : inserted) {
                duplicates.remove((String) id);
                undo.add((String) id);
            }
            db(context, () -> query(UNDO_BATCH).setParameter(1, Json.print(undo)).executeUpdate());
            throw new DuplicateException(context + ": already exist: " + abbreviate(duplicates)
                    + "; nothing of the batch was written", null);
        }
        valid.forEach(this::wrote);
        return List.copyOf(valid);
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
            return expected.getAsLong() == ABSENT ? createRead(record) : replace(id, data, metadata, expected, true);
        }
        String meta = metadata == null ? null : JsonWrites.print(em, "metadata", record.metadata());
        String dataText = JsonWrites.print(em, "data", record.data());
        Object[] row = (Object[]) db("upsert Record id=" + id, () -> query(UPSERT)
                .setParameter(1, id)
                .setParameter(2, dataText)
                .setParameter(3, meta, String.class)
                .setParameter(4, record.updatedAt())
                .getSingleResult());
        return Record.of(id, record.data(), Json.parse("metadata", (String) row[0]), instant(row[1]),
                record.updatedAt(), ((Number) row[2]).longValue());
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
        return get(id, GET, "get Record id=" + id);
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
        return get(id, GET + " FOR UPDATE", "get Record id=" + id + " for update");
    }

    private Optional<Record> get(String id, String sql, String context) {
        List<?> rows = db(context, () -> query(sql).setParameter(1, id).getResultList());
        Optional<Record> record = rows.stream().map(r -> read(toRecord((Object[]) r))).findFirst();
        if (record.isEmpty()) {
            versions().read(ENTITY, id, ABSENT);
        }
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
        return replace(id, data, metadata, versions().expected(ENTITY, id), false);
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
        return replace(id, data, metadata, OptionalLong.of(expectedVersion), false);
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
        boolean deleted = db("delete Record id=" + id, () -> query(DELETE).setParameter(1, id).executeUpdate()) == 1;
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
        int deleted = db(context, () -> query(DELETE_IF_VERSION).setParameter(1, id).setParameter(2, expectedVersion)
                .executeUpdate());
        if (deleted == 0) {
            throw conflictOrNotFound(context, id, expectedVersion, false);
        }
        versions().wrote(ENTITY, id, ABSENT);
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
        SqlFragment where = RENDERER.where(Check.notNull("filter", filter), ParameterStyle.ORDINAL, 1);
        String sql = "SELECT count(*) FROM records r WHERE " + where.sql();
        Object count = db("count Records where " + filter, () -> where.bind(query(sql), 1).getSingleResult());
        return ((Number) count).longValue();
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
        List<?> rows = select(COLUMNS, query);
        return rows.stream().map(r -> read(toRecord((Object[]) r))).toList();
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
        List<FieldPath> fields = query.projection();
        if (fields.isEmpty()) {
            throw new InvalidInputException("query has no projection; select(...) the fields to read, or use search");
        }
        StringBuilder columns = new StringBuilder("r.id");
        for (FieldPath field : fields) {
            columns.append(", CAST(").append(RENDERER.jsonValue(field)).append(" AS text)");
        }
        List<?> rows = select(columns.toString(), query);
        List<ObjectNode> result = new ArrayList<>(rows.size());
        for (Object r : rows) {
            Object[] row = r instanceof Object[] a ? a : new Object[] {r};
            ObjectNode out = Json.object();
            out.put("id", (String) row[0]);
            for (int i = 0; i < fields.size(); i++) {
                if (row[i + 1] != null) {
                    put(out, fields.get(i), Json.parse("field", (String) row[i + 1]));
                }
            }
            result.add(out);
        }
        return result;
    }

    private List<?> select(String columns, Query query) {
        SqlFragment where = RENDERER.where(query.filter(), ParameterStyle.ORDINAL, 1);
        String order = RENDERER.orderBy(query.sort());
        int limitIndex = 1 + where.parameters().size();
        String sql = "SELECT " + columns + " FROM records r WHERE " + where.sql()
                + " ORDER BY " + (order.isEmpty() ? "" : order + ", ") + "r.id"
                + " LIMIT ?" + limitIndex + " OFFSET ?" + (limitIndex + 1);
        return db("search Records where " + query.filter(), () -> where.bind(query(sql), 1)
                .setParameter(limitIndex, query.limit())
                .setParameter(limitIndex + 1, query.offset())
                .getResultList());
    }

    /**
     * Replaces a record: the one-statement update when {@code expected} is empty, else the compare-and-set. For
     * {@code upsert} ({@code gone} true), a record that vanished since it was read is a conflict, not a miss.
     */
    private Record replace(String id, JsonNode data, JsonNode metadata, OptionalLong expected, boolean gone) {
        Record.requireId(id);
        ObjectNode newData = Record.requireData(id, "data", data);
        String meta = metadata == null ? null
                : JsonWrites.print(em, "metadata", Record.requireData(id, "metadata", metadata));
        String dataText = JsonWrites.print(em, "data", newData);
        Instant now = now();
        String context = "update Record id=" + id;
        List<?> rows = db(context, () -> {
            NativeQuery<?> q = query(expected.isEmpty() ? UPDATE : UPDATE_IF_VERSION)
                    .setParameter(1, id)
                    .setParameter(2, dataText)
                    .setParameter(3, meta, String.class)
                    .setParameter(4, now);
            if (expected.isPresent()) {
                q.setParameter(5, expected.getAsLong());
            }
            return q.getResultList();
        });
        if (rows.isEmpty()) {
            if (expected.isEmpty()) {
                throw new NotFoundException("Record", "id=" + id);
            }
            throw conflictOrNotFound(context, id, expected.getAsLong(), gone);
        }
        Object[] row = (Object[]) rows.get(0);
        return wrote(Record.of(id, newData, Json.parse("metadata", (String) row[0]), instant(row[1]), now,
                ((Number) row[2]).longValue()));
    }

    /** The checked {@link #upsert} of a record read as absent: an insert that fails when one was created since. */
    private Record createRead(Record record) {
        String context = "upsert Record id=" + record.id();
        List<?> inserted = db(context, () -> query(INSERT)
                .setParameter(1, record.id())
                .setParameter(2, JsonWrites.print(em, "data", record.data()))
                .setParameter(3, JsonWrites.print(em, "metadata", record.metadata()))
                .setParameter(4, record.createdAt())
                .getResultList());
        if (inserted.isEmpty()) {
            throw conflictOrNotFound(context, record.id(), ABSENT, true);
        }
        return wrote(record);
    }

    /**
     * Why a compare-and-set wrote nothing: {@link NotFoundException} when the record is missing (a conflict instead
     * when {@code gone} is a conflict), else a version mismatch.
     */
    private RuntimeException conflictOrNotFound(String context, String id, long expectedVersion, boolean gone) {
        List<?> current = db(context, () -> query(VERSION_OF).setParameter(1, id).getResultList());
        String retry = "; retry the unit of work (it re-reads the current state)";
        if (current.isEmpty()) {
            return gone && expectedVersion != ABSENT
                    ? new ConcurrencyConflictException(ENTITY + " " + id + " was deleted concurrently: expected"
                            + " version " + expectedVersion + retry, null)
                    : new NotFoundException("Record", "id=" + id);
        }
        long actual = ((Number) current.get(0)).longValue();
        if (expectedVersion == ABSENT) {
            return new ConcurrencyConflictException(ENTITY + " " + id + " was created concurrently: it was read as"
                    + " absent, found version " + actual + retry, null);
        }
        return ReadVersions.conflict(ENTITY, id, expectedVersion, actual);
    }

    /** Remembers the version of a record handed out in this transaction ({@link ReadVersions}). */
    private Record read(Record record) {
        versions().read(ENTITY, record.id(), record.version());
        return record;
    }

    /** Moves the remembered version of a record this transaction read to the version its own write left. */
    private Record wrote(Record record) {
        versions().wrote(ENTITY, record.id(), record.version());
        return record;
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private static void put(ObjectNode out, FieldPath path, JsonNode value) {
        ObjectNode target = out;
        List<String> segments = new ArrayList<>();
        segments.add(path.root());
        segments.addAll(path.keys());
        for (int i = 0; i < segments.size() - 1; i++) {
            JsonNode next = target.get(segments.get(i));
            target = next instanceof ObjectNode o ? o : target.putObject(segments.get(i));
        }
        target.set(segments.get(segments.size() - 1), value);
    }

    private static Record toRecord(Object[] row) {
        return Record.of((String) row[0], Json.parse("data", (String) row[1]), Json.parse("metadata", (String) row[2]),
                instant(row[3]), instant(row[4]), ((Number) row[5]).longValue());
    }

    private static Instant instant(Object value) {
        if (value instanceof Instant i) {
            return i;
        }
        if (value instanceof OffsetDateTime o) {
            return o.toInstant();
        }
        if (value instanceof Timestamp t) {
            return t.toInstant();
        }
        throw new IllegalStateException("unexpected timestamp type " + value.getClass());
    }

    private static String abbreviate(Set<String> ids) {
        List<String> list = new ArrayList<>(ids);
        return list.size() <= 10 ? String.join(", ", list)
                : String.join(", ", list.subList(0, 10)) + " and " + (list.size() - 10) + " more";
    }

    /** "Now" at PostgreSQL's precision, so that what is returned equals what is read back. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** A native query that flushes pending {@link Record} changes first and invalidates nothing else. */
    private NativeQuery<?> query(String sql) {
        return em.createNativeQuery(sql).unwrap(NativeQuery.class).addSynchronizedEntityClass(Record.class);
    }

    /**
     * Runs a statement, translating errors; PostgreSQL's "invalid regular expression" (2201B) and date/time
     * format errors (22007, 22008) of a query's values become {@link InvalidInputException}.
     */
    private static <T> T db(String context, Supplier<T> statement) {
        try {
            return statement.get();
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SQLException sql && sql.getSQLState() != null
                        && Set.of("2201B", "22007", "22008").contains(sql.getSQLState())) {
                    String m = String.valueOf(sql.getMessage());
                    int nl = m.indexOf('\n');
                    throw new InvalidInputException(context + ": " + (nl < 0 ? m : m.substring(0, nl)), e);
                }
            }
            throw PersistenceErrors.translate(context, e);
        }
    }
}
