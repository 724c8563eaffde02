package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentstore.cli.ingest.Chunk;
import dev.agentstore.cli.ingest.Ingester;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.AgentStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code agentstore import FILE}: reads JSON Lines written by {@code agentstore export}, line by line, and writes them
 * in batches: the records, templates and configurations of a batch in one transaction through the repositories
 * (records upserted by id; templates and configurations appended as new revisions, in file order; a definition
 * created with its versions, then published and archived as exported: see {@link DefinitionLines}; blobs put by
 * key from their base64 content, checked against their hash, each ending its batch so that no more than one blob
 * is held in memory; a dataset created and its versions replayed in order: see {@link DatasetLines}; an experiment
 * created over its dataset version with its results and status: see {@link ExperimentLines}), its chunks in
 * another. Each is all or nothing. A line that is not valid JSON, has an unknown type or misses a field is rejected
 * and reported with its line number; so is every line of a batch the database refused.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import JSON Lines from `agentstore export` in batches (each all-or-nothing), reporting rejected lines.")
public final class ImportCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The line types written through the repositories (every other line is a chunk). */
    private static final List<String> ENTITY_TYPES = List.of("record", "template", "configuration", "memory",
            "message", "definition", "blob", "dataset", "experiment");

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Parameters(paramLabel = "FILE", description = "The JSON Lines file.")
    Path file;

    @Option(names = "--batch", defaultValue = "500", description = "Lines per transaction (default ${DEFAULT-VALUE}).")
    int batch;

    ImportCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    private record Pending(long line, String kb, Chunk chunk, float[] vector) {
    }

    /** A record, template or configuration line, written through the repositories. */
    private record Entity(long line, String type, JsonNode node) {
    }

    @Override
    public Integer call() throws IOException {
        if (batch < 1) {
            throw new CliException(ExitCodes.USAGE, "--batch must be at least 1", null, null);
        }
        if (!Files.isReadable(file)) {
            throw new CliException(ExitCodes.CORPUS, file + " does not exist or is not readable", null, null);
        }
        Map<Long, String> rejected = new java.util.TreeMap<>();
        long imported = 0;
        try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true);
             BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Map<String, Integer> bases = new java.util.HashMap<>();
            List<Pending> pending = new ArrayList<>();
            List<Entity> entities = new ArrayList<>();
            String text;
            long lineNo = 0;
            while ((text = in.readLine()) != null) {
                lineNo++;
                if (text.isBlank()) {
                    continue;
                }
                try {
                    JsonNode node = readLine(text);
                    String type = node.path("type").asText("");
                    if (ENTITY_TYPES.contains(type)) {
                        validateEntity(type, node);
                        entities.add(new Entity(lineNo, type, node));
                        if (entities.size() >= batch || type.equals("blob")) { // a blob line may be large: not held
                            imported += flushEntities(store, entities, rejected);
                        }
                        continue;
                    }
                    Pending p = parse(lineNo, node);
                    Integer dimension = bases.get(p.kb());
                    if (dimension == null) {
                        Ingester.ensureBase(store, p.kb(), p.vector().length); // creates it, or rejects a wrong dimension
                        bases.put(p.kb(), p.vector().length);
                    } else if (dimension != p.vector().length) {
                        throw new IllegalArgumentException("embedding has " + p.vector().length
                                + " dimensions, knowledge base " + p.kb() + " holds " + dimension);
                    }
                    pending.add(p);
                } catch (IllegalArgumentException | IllegalStateException | IOException e) {
                    rejected.put(lineNo, e.getMessage());
                }
                if (pending.size() >= batch) {
                    imported += flush(store, pending, rejected);
                }
            }
            imported += flush(store, pending, rejected);
            imported += flushEntities(store, entities, rejected);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.CORPUS, file + " does not exist", null, e);
        }
        ctx.out().println("imported " + imported + " line(s), rejected " + rejected.size());
        rejected.forEach((line, why) -> ctx.out().println("  line " + line + ": " + why));
        return rejected.isEmpty() ? ExitCodes.OK : ExitCodes.PARTIAL_IMPORT;
    }

    private static long flush(AgentStore store, List<Pending> pending, Map<Long, String> rejected) {
        if (pending.isEmpty()) {
            return 0;
        }
        Map<String, List<Pending>> byKb = new LinkedHashMap<>();
        pending.forEach(p -> byKb.computeIfAbsent(p.kb(), k -> new ArrayList<>()).add(p));
        long ok = 0;
        for (var e : byKb.entrySet()) {
            try {
                store.chunks().upsert(e.getKey(),
                        e.getValue().stream().map(p -> p.chunk().toNewChunk(p.vector())).toList());
                ok += e.getValue().size();
            } catch (RuntimeException ex) {
                e.getValue().forEach(p -> rejected.put(p.line(), "batch rejected by the database: " + ex.getMessage()));
            }
        }
        pending.clear();
        return ok;
    }

    private static JsonNode readLine(String text) throws IOException {
        JsonNode n;
        try {
            n = MAPPER.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return n;
    }

    private static void validateEntity(String type, JsonNode n) {
        switch (type) {
            case "record" -> {
                required(n, "id");
                requireObject(n, "data");
                if (n.has("metadata") && !n.get("metadata").isNull()) {
                    requireObject(n, "metadata");
                }
            }
            case "template" -> {
                required(n, "identifier");
                required(n, "content");
            }
            case "blob" -> {
                required(n, "key");
                byte[] content = blobContent(n);
                if (n.path("hash").isTextual() && !n.get("hash").asText().equals(sha256(content))) {
                    throw new IllegalArgumentException("content does not match its hash");
                }
                if (n.has("metadata") && !n.get("metadata").isNull()) {
                    requireObject(n, "metadata");
                }
            }
            case "memory" -> {
                required(n, "id");
                requireInstant(n, "createdAt");
                requireInstant(n, "updatedAt");
                if (n.path("metadata").isObject() || n.path("metadata").isMissingNode() || n.path("metadata").isNull()) {
                    return;
                }
                requireObject(n, "metadata");
            }
            case "definition" -> DefinitionLines.validate(n);
            case "dataset" -> DatasetLines.validate(n);
            case "experiment" -> ExperimentLines.validate(n);
            case "message" -> {
                required(n, "id");
                required(n, "memoryId");
                MessageRole.parse(required(n, "role"));
                if (n.path("content").isMissingNode() || n.path("content").isNull()) {
                    throw new IllegalArgumentException("missing field 'content'");
                }
                requireInstant(n, "createdAt");
            }
            default -> {
                required(n, "identifier");
                requireObject(n, "content");
            }
        }
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The base64 {@code content} of a blob line, decoded. */
    private static byte[] blobContent(JsonNode n) {
        if (!n.path("content").isTextual()) {
            throw new IllegalArgumentException("field 'content' must be the blob's bytes in base64");
        }
        try {
            return Base64.getDecoder().decode(n.get("content").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'content' is not base64: " + e.getMessage());
        }
    }

    private static void requireObject(JsonNode n, String field) {
        if (!n.path(field).isObject()) {
            throw new IllegalArgumentException("field '" + field + "' must be a JSON object");
        }
    }

    private static long flushEntities(AgentStore store, List<Entity> entities, Map<Long, String> rejected) {
        if (entities.isEmpty()) {
            return 0;
        }
        try {
            store.inTransaction(uow -> {
                for (Entity e : entities) {
                    JsonNode n = e.node();
                    switch (e.type()) {
                        case "record" -> uow.records().upsert(n.get("id").asText(), n.get("data"),
                                n.path("metadata").isObject() ? n.get("metadata") : null);
                        case "template" -> uow.templates().define(n.get("identifier").asText(), n.get("content").asText(),
                                n.path("description").isTextual() ? n.get("description").asText() : null,
                                n.path("variables").isObject() ? n.get("variables") : null,
                                n.path("meta").isObject() ? n.get("meta") : null);
                        case "memory" -> {
                            String resource = text(n, "resourceId");
                            if (resource == null) {
                                uow.memories().ensureMemory(n.get("id").asText());
                            } else {
                                uow.memories().saveThread(n.get("id").asText(), resource, text(n, "title"),
                                        n.path("metadata").isObject() ? n.get("metadata") : null,
                                        instant(n, "createdAt"), instant(n, "updatedAt"));
                            }
                        }
                        case "message" -> uow.memories().saveMessages(n.get("memoryId").asText(), List.of(new NewMessage(
                                n.get("id").asText(), MessageRole.parse(n.get("role").asText()), n.get("content"),
                                text(n, "resourceId"), instant(n, "createdAt"))));
                        case "definition" -> DefinitionLines.restore(uow.definitions(), n);
                        case "dataset" -> DatasetLines.restore(uow.datasets(), n);
                        case "experiment" -> ExperimentLines.restore(uow.experiments(), n);
                        case "blob" -> uow.blobs().put(n.get("key").asText(), new ByteArrayInputStream(blobContent(n)),
                                text(n, "contentType"), n.path("metadata").isObject() ? n.get("metadata") : null);
                        default -> uow.configurations().define(n.get("identifier").asText(), n.get("content"));
                    }
                }
            });
            long ok = entities.size();
            entities.clear();
            return ok;
        } catch (RuntimeException ex) {
            entities.forEach(e -> rejected.put(e.line(), "batch rejected by the database: " + ex.getMessage()));
            entities.clear();
            return 0;
        }
    }

    private static Pending parse(long lineNo, JsonNode n) {
        String type = n.path("type").asText("");
        if (!type.equals("chunk")) {
            throw new IllegalArgumentException("unsupported type '" + type + "' (record, template, configuration, memory, message, chunk, definition, blob, dataset, experiment)");
        }
        String kb = required(n, "kb");
        String doc = required(n, "document");
        String content = required(n, "content");
        if (!n.path("ordinal").canConvertToInt() || !n.path("ordinal").isIntegralNumber() || n.path("ordinal").asInt() < 0) {
            throw new IllegalArgumentException("ordinal must be a non-negative integer");
        }
        JsonNode emb = n.path("embedding");
        if (!emb.isArray() || emb.isEmpty()) {
            throw new IllegalArgumentException("embedding must be a non-empty array of numbers");
        }
        float[] v = new float[emb.size()];
        for (int i = 0; i < v.length; i++) {
            if (!emb.get(i).isNumber()) {
                throw new IllegalArgumentException("embedding[" + i + "] is not a number");
            }
            v[i] = (float) emb.get(i).asDouble();
        }
        String hash = Chunk.sha256(content);
        return new Pending(lineNo, kb, new Chunk(doc, n.path("ordinal").asInt(), n.path("title").asText(null),
                n.path("heading").asText(null), content, hash), v);
    }

    /** Checks an optional ISO-8601 instant field of a line before anything is written. */
    private static void requireInstant(JsonNode n, String field) {
        if (n.path(field).isTextual()) {
            try {
                Instant.parse(n.get(field).asText());
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException(field + " is not an ISO-8601 instant");
            }
        }
    }

    /** An ISO-8601 instant field of an exported line, {@code null} when absent (checked when the line was read). */
    private static Instant instant(JsonNode n, String field) {
        return n.path(field).isTextual() ? Instant.parse(n.get(field).asText()) : null;
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.get(field).asText() : null;
    }

    private static String required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException("missing or blank field '" + field + "'");
        }
        return v.asText();
    }
}
