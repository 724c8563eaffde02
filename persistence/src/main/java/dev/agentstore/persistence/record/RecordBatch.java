package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The batch writes of {@link RecordRepository}, every record validated first: {@code createBatch}'s all-or-nothing
 * insert (all rows in one statement, {@link RecordSql#INSERT_BATCH}, and on a duplicate id the rows just inserted
 * taken back with {@link RecordSql#UNDO_BATCH}, so that the caller's transaction stays usable), and
 * {@code upsertBatch}'s one-statement upsert ({@link RecordSql#UPSERT_BATCH}).
 */
final class RecordBatch {

    private final EntityManager em;

    /**
     * @param em the unit of work's entity manager
     */
    RecordBatch(EntityManager em) {
        this.em = em;
    }

    /**
     * Creates the records, 1 to {@link RecordRepository#MAX_BATCH_SIZE} of them (checked by the repository).
     *
     * @return the records as stored, in the given order; unmodifiable
     * @throws InvalidInputException when a record is invalid or an id appears twice; nothing is written
     * @throws DuplicateException    when an id already exists; nothing is written
     */
    List<Record> create(List<NewRecord> records, Instant now) {
        List<Record> valid = new ArrayList<>(records.size());
        Set<String> ids = new LinkedHashSet<>();
        ArrayNode rows = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < records.size(); i++) {
            Record record = validate(i, records.get(i), now, ids);
            valid.add(record);
            ObjectNode row = rows.addObject();
            row.put("id", record.id());
            row.set("data", record.data());
            row.set("metadata", record.metadata());
        }
        String context = "create " + records.size() + " Records";
        List<String> inserted = Sql.call(em, context, h -> h.createQuery(RecordSql.INSERT_BATCH)
                .bind("rows", Json.print(rows))
                .bind("now", now)
                .mapTo(String.class)
                .list());
        if (inserted.size() != valid.size()) {
            Set<String> duplicates = new LinkedHashSet<>(ids);
            inserted.forEach(duplicates::remove);
            Sql.run(em, context, h -> h.createUpdate(RecordSql.UNDO_BATCH)
                    .bind("ids", inserted.toArray(String[]::new))
                    .execute());
            throw new DuplicateException(context + ": already exist: " + abbreviate(duplicates)
                    + "; nothing of the batch was written", null, duplicates);
        }
        return List.copyOf(valid);
    }

    /**
     * Creates or replaces the records, 1 to {@link RecordRepository#MAX_BATCH_SIZE} of them (checked by the
     * repository), in one statement ({@link RecordSql#UPSERT_BATCH}). A record the unit of work read is written only
     * if it is still as read ({@code expected}); when one is not, the statement is taken back to a savepoint (only
     * set when there are such records) and nothing of the batch remains.
     *
     * @param expected id → the version the unit of work read ({@link RecordRepository}'s absent marker: read as
     *                 absent); ids it did not read are missing
     * @param conflict why the record with the given id and expected version was not written
     * @return the records as stored, in the given order; unmodifiable
     * @throws InvalidInputException when a record is invalid or an id appears twice; nothing is written
     */
    List<Record> upsert(List<NewRecord> records, Instant now, Map<String, Long> expected,
                        BiFunction<String, Long, RuntimeException> conflict) {
        List<Record> valid = new ArrayList<>(records.size());
        Set<String> ids = new LinkedHashSet<>();
        ArrayNode rows = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < records.size(); i++) {
            NewRecord r = records.get(i);
            Record record = validate(i, r, now, ids);
            valid.add(record);
            ObjectNode row = rows.addObject();
            row.put("id", record.id());
            row.set("data", record.data());
            if (r.metadata() != null) {
                row.set("metadata", record.metadata());
            }
            Long version = expected.get(record.id());
            if (version != null) {
                row.put("expected", version);
            }
        }
        String context = "upsert " + records.size() + " Records";
        boolean checked = !expected.isEmpty();
        Map<String, Written> written = Sql.call(em, context, h -> {
            if (checked) {
                h.execute("SAVEPOINT agentstore_record_batch");
            }
            Map<String, Written> out = new HashMap<>();
            h.createQuery(RecordSql.UPSERT_BATCH)
                    .bind("rows", Json.print(rows))
                    .bind("now", now)
                    .map((rs, ctx) -> new Written(rs.getString("id"), Json.parse("metadata", rs.getString("metadata")),
                            Sql.instant(rs, "created_at"), rs.getLong("version")))
                    .forEach(w -> out.put(w.id(), w));
            if (checked && out.size() != valid.size()) {
                h.execute("ROLLBACK TO SAVEPOINT agentstore_record_batch");
            }
            if (checked) {
                h.execute("RELEASE SAVEPOINT agentstore_record_batch");
            }
            return out;
        });
        List<Record> stored = new ArrayList<>(valid.size());
        for (Record v : valid) {
            Written w = written.get(v.id());
            if (w == null) {
                throw conflict.apply(v.id(), expected.get(v.id()));
            }
            stored.add(Record.of(v.id(), v.data(), w.metadata(), w.createdAt(), now, w.version()));
        }
        return List.copyOf(stored);
    }

    /** What {@link RecordSql#UPSERT_BATCH} returns for a written row. */
    private record Written(String id, JsonNode metadata, Instant createdAt, long version) {
    }

    /** A batch's record {@code i}, validated and checked against the JSON limits; its id added to {@code ids}. */
    private Record validate(int i, NewRecord r, Instant now, Set<String> ids) {
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
        return record;
    }

    private static String abbreviate(Set<String> ids) {
        List<String> list = new ArrayList<>(ids);
        return list.size() <= 10 ? String.join(", ", list)
                : String.join(", ", list.subList(0, 10)) + " and " + (list.size() - 10) + " more";
    }
}
