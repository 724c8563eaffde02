package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.persistence.dataset.DatasetRepository;
import jakarta.persistence.EntityManager;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Export and import of {@code dataset} lines: a dataset's fields and its whole history as a {@code versions} array,
 * oldest first, each version with the {@code changes} that made it ({@code {"op":"add"|"update"|"delete","id":...,
 * "input":...,"expectedOutput":...,"metadata":...}}; {@code expectedOutput} absent when the item has none, only
 * {@code op} and {@code id} for a delete). The changes are derived from the item revisions ({@code validFrom},
 * {@code validTo}). Import creates the dataset and replays each version as one change set, so every version keeps
 * its number and holds exactly the items it held (timestamps are those of the import). A version of more than
 * {@link DatasetRepository#MAX_CHANGES} changes is replayed through {@link DatasetRepository#importJsonLines} when it
 * deletes nothing and refused otherwise. A dataset that already exists is refused (its batch is rejected). A line
 * holds the dataset's whole history in memory.
 */
final class DatasetLines {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Every revision of a dataset's items, by the version that wrote it, then item id. */
    private static final String REVISIONS = "SELECT i FROM DatasetItem i WHERE i.datasetId = :id"
            + " ORDER BY i.validFrom, i.itemId";

    private static final Set<String> OPS = Set.of("add", "update", "delete");

    private DatasetLines() {
    }

    /**
     * Adds a dataset's fields and its {@code versions} to its export line.
     *
     * @param em the export's entity manager (its read-only transaction)
     * @param d  the dataset
     * @param line the line
     */
    static void write(EntityManager em, Dataset d, ObjectNode line) {
        line.put("id", d.id());
        line.put("name", d.name());
        line.put("description", d.description());
        line.set("metadata", d.metadata());
        List<DatasetItem> revisions = em.createQuery(REVISIONS, DatasetItem.class).setParameter("id", d.id())
                .setHint("org.hibernate.readOnly", true).getResultList();
        ArrayNode versions = line.putArray("versions");
        for (int v = 1; v <= d.version(); v++) {
            Set<String> closed = new HashSet<>();
            Set<String> written = new HashSet<>();
            for (DatasetItem r : revisions) {
                if (r.validTo() != null && r.validTo() == v) {
                    closed.add(r.itemId());
                }
                if (r.validFrom() == v) {
                    written.add(r.itemId());
                }
            }
            ObjectNode version = versions.addObject();
            version.put("version", v);
            ArrayNode changes = version.putArray("changes");
            for (DatasetItem r : revisions) {
                if (r.validFrom() == v) {
                    ObjectNode c = changes.addObject();
                    c.put("op", closed.contains(r.itemId()) ? "update" : "add");
                    c.put("id", r.itemId());
                    c.set("input", r.input());
                    if (r.expectedOutput() != null) {
                        c.set("expectedOutput", r.expectedOutput());
                    }
                    c.set("metadata", r.metadata());
                }
            }
            for (DatasetItem r : revisions) {
                if (r.validTo() != null && r.validTo() == v && !written.contains(r.itemId())) {
                    changes.addObject().put("op", "delete").put("id", r.itemId());
                }
            }
        }
        revisions.forEach(em::detach);
    }

    /**
     * Checks a line before anything is written.
     *
     * @param n the line
     * @throws IllegalArgumentException when a field is missing or invalid (the message names it)
     */
    static void validate(JsonNode n) {
        for (String field : List.of("id", "name")) {
            if (!n.path(field).isTextual() || n.get(field).asText().isBlank()) {
                throw new IllegalArgumentException("missing or blank field '" + field + "'");
            }
        }
        JsonNode versions = n.path("versions");
        if (!versions.isArray()) {
            throw new IllegalArgumentException("field 'versions' must be an array");
        }
        int expected = 1;
        for (JsonNode v : versions) {
            if (v.path("version").asInt(-1) != expected || !v.path("version").isIntegralNumber()) {
                throw new IllegalArgumentException("versions must be numbered 1, 2, 3... in order; expected "
                        + expected);
            }
            if (!v.path("changes").isArray() || v.get("changes").isEmpty()) {
                throw new IllegalArgumentException("version " + expected + ": 'changes' must be a non-empty array");
            }
            for (JsonNode c : v.get("changes")) {
                if (!OPS.contains(c.path("op").asText("")) || !c.path("id").isTextual()) {
                    throw new IllegalArgumentException("version " + expected
                            + ": each change needs an 'op' (add, update, delete) and a string 'id'");
                }
                if (!c.get("op").asText().equals("delete") && !c.has("input")) {
                    throw new IllegalArgumentException("version " + expected + ": change of " + c.get("id").asText()
                            + " misses 'input'");
                }
            }
            expected++;
        }
    }

    /**
     * Writes a checked line in the caller's transaction.
     *
     * @param datasets the unit of work's repository
     * @param n        the line
     * @throws IllegalArgumentException when a version cannot be replayed with its number
     */
    static void restore(DatasetRepository datasets, JsonNode n) {
        String id = n.get("id").asText();
        datasets.create(id, n.get("name").asText(), text(n, "description"),
                n.path("metadata").isObject() ? n.get("metadata") : null);
        for (JsonNode v : n.get("versions")) {
            List<ItemChange> changes = new ArrayList<>();
            boolean deletes = false;
            for (JsonNode c : v.get("changes")) {
                String itemId = c.get("id").asText();
                JsonNode metadata = c.path("metadata").isObject() ? c.get("metadata") : null;
                switch (c.get("op").asText()) {
                    case "add" -> changes.add(ItemChange.add(itemId, c.get("input"), c.get("expectedOutput"), metadata));
                    case "update" -> changes.add(ItemChange.update(itemId, c.get("input"), c.get("expectedOutput"),
                            metadata));
                    default -> {
                        changes.add(ItemChange.delete(itemId));
                        deletes = true;
                    }
                }
            }
            DatasetVersion written;
            if (changes.size() <= DatasetRepository.MAX_CHANGES) {
                written = datasets.apply(id, changes);
            } else if (!deletes) {
                written = datasets.importJsonLines(id, new StringReader(asJsonLines(v.get("changes"))));
            } else {
                throw new IllegalArgumentException("version " + v.get("version").asInt() + " has more than "
                        + DatasetRepository.MAX_CHANGES + " changes and deletes items: not replayable as one version");
            }
            if (written.version() != v.get("version").asInt()) {
                throw new IllegalArgumentException("version " + v.get("version").asInt() + " was written as "
                        + written.version());
            }
        }
    }

    /** Additions and updates as the repository's JSON Lines item form (an update replaces the current item). */
    private static String asJsonLines(JsonNode changes) {
        StringBuilder lines = new StringBuilder();
        for (JsonNode c : changes) {
            ObjectNode item = ((ObjectNode) c.deepCopy());
            item.remove("op");
            if (!item.path("metadata").isObject()) {
                item.remove("metadata");
            }
            try {
                lines.append(MAPPER.writeValueAsString(item)).append('\n');
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return lines.toString();
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.get(field).asText() : null;
    }
}
