package dev.agentstore.persistence.record;

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
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@link RecordRepository#createBatch}'s all-or-nothing insert: every record validated first, all rows in one
 * statement ({@link RecordSql#INSERT_BATCH}), and on a duplicate id the rows just inserted taken back
 * ({@link RecordSql#UNDO_BATCH}) so that the caller's transaction stays usable.
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
                throw new InvalidInputException("records[" + i + "]: id " + record.id()
                        + " appears twice in the batch");
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
                    + "; nothing of the batch was written", null);
        }
        return List.copyOf(valid);
    }

    private static String abbreviate(Set<String> ids) {
        List<String> list = new ArrayList<>(ids);
        return list.size() <= 10 ? String.join(", ", list)
                : String.join(", ", list.subList(0, 10)) + " and " + (list.size() - 10) + " more";
    }
}
