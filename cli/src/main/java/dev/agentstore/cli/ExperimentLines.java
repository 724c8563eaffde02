package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentResult;
import dev.agentstore.domain.experiment.ExperimentStatus;
import dev.agentstore.domain.experiment.ExperimentTarget;
import dev.agentstore.domain.experiment.ResultValues;
import dev.agentstore.persistence.experiment.ExperimentRepository;
import jakarta.persistence.EntityManager;

import java.util.List;

/**
 * Export and import of {@code experiment} lines: an experiment's fields ({@code id}, {@code name},
 * {@code datasetId}, {@code datasetVersion}, {@code target} {@code {"kind","id","version"}}, {@code status},
 * {@code error}, {@code metadata}) and its {@code results} array by item id ({@code itemId}, {@code output},
 * {@code latencyMs}, {@code error}, {@code traceId}, {@code scores}). Import creates the experiment over its dataset
 * version (the dataset's line comes first in an export), moves it through its statuses to the exported one and
 * writes its results (timestamps are those of the import). An experiment that already exists is refused (its batch
 * is rejected). A line holds the experiment's results in memory.
 */
final class ExperimentLines {

    /** An experiment's results, by item id. */
    private static final String RESULTS = "SELECT r FROM ExperimentResult r WHERE r.experimentId = :id ORDER BY r.itemId";

    private ExperimentLines() {
    }

    /**
     * Adds an experiment's fields and its {@code results} to its export line.
     *
     * @param em   the export's entity manager (its read-only transaction)
     * @param e    the experiment
     * @param line the line
     */
    static void write(EntityManager em, Experiment e, ObjectNode line) {
        line.put("id", e.id());
        line.put("name", e.name());
        line.put("datasetId", e.datasetId());
        line.put("datasetVersion", e.datasetVersion());
        line.putObject("target").put("kind", e.target().kind()).put("id", e.target().id())
                .put("version", e.target().version());
        line.put("status", e.status().name());
        line.put("error", e.error());
        line.set("metadata", e.metadata());
        ArrayNode results = line.putArray("results");
        List<ExperimentResult> rows = em.createQuery(RESULTS, ExperimentResult.class).setParameter("id", e.id())
                .setHint("org.hibernate.readOnly", true).getResultList();
        for (ExperimentResult r : rows) {
            ObjectNode result = results.addObject();
            result.put("itemId", r.itemId());
            result.set("output", r.output());
            result.put("latencyMs", r.latencyMs());
            result.put("error", r.error());
            result.put("traceId", r.traceId());
            result.set("scores", r.scores());
            em.detach(r);
        }
    }

    /**
     * Checks a line before anything is written.
     *
     * @param n the line
     * @throws IllegalArgumentException when a field is missing or invalid (the message names it)
     */
    static void validate(JsonNode n) {
        for (String field : List.of("id", "datasetId")) {
            if (!n.path(field).isTextual() || n.get(field).asText().isBlank()) {
                throw new IllegalArgumentException("missing or blank field '" + field + "'");
            }
        }
        if (!n.path("datasetVersion").isIntegralNumber()) {
            throw new IllegalArgumentException("field 'datasetVersion' must be an integer");
        }
        if (!n.path("results").isArray()) {
            throw new IllegalArgumentException("field 'results' must be an array");
        }
        try {
            target(n);
            ExperimentStatus.valueOf(n.path("status").asText("PENDING"));
            for (JsonNode r : n.get("results")) {
                if (!r.path("itemId").isTextual()) {
                    throw new IllegalArgumentException("each result needs a string 'itemId'");
                }
                values(r);
            }
        } catch (AgentStoreException e) {
            throw new IllegalArgumentException("experiment: " + e.getMessage());
        }
    }

    /**
     * Writes a checked line in the caller's transaction.
     *
     * @param experiments the unit of work's repository
     * @param n           the line
     */
    static void restore(ExperimentRepository experiments, JsonNode n) {
        String id = n.get("id").asText();
        ExperimentStatus status = ExperimentStatus.valueOf(n.path("status").asText("PENDING"));
        experiments.create(id, text(n, "name"), n.get("datasetId").asText(), n.get("datasetVersion").asInt(),
                target(n), n.path("metadata").isObject() ? n.get("metadata") : null);
        if (status != ExperimentStatus.PENDING) {
            experiments.start(id);
        }
        for (JsonNode r : n.get("results")) {
            experiments.upsertResult(id, r.get("itemId").asText(), values(r));
        }
        if (status == ExperimentStatus.COMPLETED) {
            experiments.complete(id);
        } else if (status == ExperimentStatus.FAILED) {
            experiments.fail(id, text(n, "error") == null ? "failed" : text(n, "error"));
        }
    }

    private static ExperimentTarget target(JsonNode n) {
        JsonNode t = n.path("target");
        if (!t.path("kind").isTextual() || !t.path("id").isTextual() || !t.path("version").isIntegralNumber()) {
            throw new IllegalArgumentException("field 'target' must be {\"kind\":...,\"id\":...,\"version\":...}");
        }
        return new ExperimentTarget(t.get("kind").asText(), t.get("id").asText(), t.get("version").asInt());
    }

    private static ResultValues values(JsonNode r) {
        return new ResultValues(r.has("output") && !r.get("output").isNull() ? r.get("output") : null,
                r.path("latencyMs").isIntegralNumber() ? r.get("latencyMs").asLong() : null, text(r, "error"),
                text(r, "traceId"), r.path("scores").isObject() ? r.get("scores") : null);
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.get(field).asText() : null;
    }
}
