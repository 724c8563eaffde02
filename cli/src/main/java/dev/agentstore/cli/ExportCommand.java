package dev.agentstore.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.record.Record;
import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.UnitOfWork;
import jakarta.persistence.EntityManager;
import jakarta.persistence.TypedQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code agentstore export}: writes data as JSON Lines, one object per line with a {@code type} field
 * ({@code record}, {@code template}, {@code configuration}, {@code memory} (a thread), {@code message}, {@code chunk},
 * {@code definition} with its {@code versions} array, oldest first (every kind but {@code template} and
 * {@code configuration}, which are the {@code template} and {@code configuration} lines), {@code blob}: key, hash, content type, metadata
 * and the content in base64, streamed from the store into the line, {@code dataset} with its whole item history as
 * {@code versions} of changes (see {@link DatasetLines}), {@code experiment} with its {@code results} (see
 * {@link ExperimentLines}), datasets before experiments),
 * read with JPQL through the store's entity mappings in one read-only transaction, streamed (500 rows fetched at a
 * time, each entity detached once written, never loaded whole), in a stable order (templates and configurations by
 * identifier and revision, so an import replays their history in order).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export records, templates, configurations, memories (threads and messages), knowledge chunks, versioned definitions, blobs, datasets (with their versions) and experiments (with their results) as JSON Lines (streamed).")
public final class ExportCommand implements Callable<Integer> {

    /** The exportable types and the JPQL that streams each. */
    static final Map<String, String> QUERIES = new LinkedHashMap<>();

    static {
        QUERIES.put("record", "SELECT r FROM Record r ORDER BY r.id");
        QUERIES.put("template", "SELECT t FROM Template t ORDER BY t.identifier, t.revision");
        QUERIES.put("configuration", "SELECT c FROM ConfigurationSnapshot c ORDER BY c.identifier, c.revision");
        QUERIES.put("memory", "SELECT m FROM Memory m ORDER BY m.id");
        QUERIES.put("message", "SELECT m FROM MemoryMessage m ORDER BY m.memoryId, m.seq");
        QUERIES.put("chunk", "SELECT c FROM Chunk c ORDER BY c.knowledgeBase, c.documentId, c.ordinal");
        // templates and configurations are definition kinds too, exported as their own lines above
        QUERIES.put("definition", "SELECT d FROM Definition d WHERE d.kind NOT IN ('template', 'configuration')"
                + " ORDER BY d.kind, d.id");
        QUERIES.put("blob", "SELECT b FROM Blob b ORDER BY b.key");
        QUERIES.put("dataset", "SELECT d FROM Dataset d ORDER BY d.id");
        QUERIES.put("experiment", "SELECT e FROM Experiment e ORDER BY e.id");
    }

    /** A definition's versions, oldest first, written inside its line. */
    private static final String VERSIONS_OF_DEFINITION = "SELECT v FROM DefinitionVersion v"
            + " WHERE v.kind = :kind AND v.definitionId = :id ORDER BY v.number";

    private static final Map<String, Class<?>> ENTITIES = Map.of("record", Record.class, "template", Template.class,
            "configuration", ConfigurationSnapshot.class, "memory", Memory.class, "message", MemoryMessage.class,
            "chunk", Chunk.class, "definition", Definition.class, "blob", Blob.class,
            "dataset", Dataset.class, "experiment", Experiment.class);

    /** The chunks of one knowledge base ({@code --kb}). */
    private static final String CHUNKS_OF_BASE = "SELECT c FROM Chunk c WHERE c.knowledgeBase = :kb"
            + " ORDER BY c.documentId, c.ordinal";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Option(names = "--types", split = ",", paramLabel = "TYPE",
            description = "What to export: record, template, configuration, memory, message, chunk, definition, blob, dataset, experiment (default: all).")
    List<String> types = new ArrayList<>(QUERIES.keySet());

    @Option(names = "--kb", description = "Only the chunks of this knowledge base (default: all).")
    String kb;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.")
    Path output;

    ExportCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
        for (String t : types) {
            if (!QUERIES.containsKey(t)) {
                throw new CliException(ExitCodes.USAGE, "unknown type '" + t + "'", "use " + String.join(", ", QUERIES.keySet()), null);
            }
        }
        try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true)) {
            Writer w = output == null
                    ? new BufferedWriter(new OutputStreamWriter(ctx.out(), StandardCharsets.UTF_8))
                    : Files.newBufferedWriter(output, StandardCharsets.UTF_8);
            Map<String, Long> counts = new LinkedHashMap<>();
            try {
                store.inTransaction(uow -> {
                    for (String type : types) {
                        counts.put(type, export(uow, type, w));
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } finally {
                w.flush();
                if (output != null) {
                    w.close();
                }
            }
            ctx.err().println("exported " + counts + (output == null ? "" : " to " + output));
            return ExitCodes.OK;
        }
    }

    private long export(UnitOfWork uow, String type, Writer w) {
        EntityManager em = uow.entityManager();
        boolean oneBase = type.equals("chunk") && kb != null;
        TypedQuery<?> query = em.createQuery(oneBase ? CHUNKS_OF_BASE : QUERIES.get(type), ENTITIES.get(type))
                .setHint("org.hibernate.fetchSize", 500)
                .setHint("org.hibernate.readOnly", true);
        if (oneBase) {
            query.setParameter("kb", kb);
        }
        long lines = 0;
        try (Stream<?> rows = query.getResultStream()) {
            Iterator<?> it = rows.iterator();
            while (it.hasNext()) {
                Object row = it.next();
                ObjectNode line = MAPPER.createObjectNode();
                line.put("type", type);
                write(row, line);
                if (row instanceof Definition d) {
                    writeVersions(em, d, line);
                } else if (row instanceof Dataset d) {
                    DatasetLines.write(em, d, line);
                } else if (row instanceof Experiment e) {
                    ExperimentLines.write(em, e, line);
                }
                if (row instanceof Blob blob) {
                    writeBlob(uow, blob, line, w);
                } else {
                    w.write(MAPPER.writeValueAsString(line));
                }
                w.write('\n');
                em.detach(row);
                lines++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /**
     * A blob's line: its fields, then {@code "content"} in base64, encoded as the store streams the content out (one
     * chunk in memory at a time, never the whole blob).
     */
    private static void writeBlob(UnitOfWork uow, Blob blob, ObjectNode line, Writer w) throws IOException {
        String fields = MAPPER.writeValueAsString(line);
        w.write(fields, 0, fields.length() - 1); // without the closing brace
        w.write(",\"content\":\"");
        OutputStream chars = new OutputStream() { // base64 is ASCII: one char per byte
            @Override
            public void write(int b) throws IOException {
                w.write(b);
            }
        };
        try (OutputStream base64 = Base64.getEncoder().wrap(new BufferedOutputStream(chars, 8192) {
            @Override
            public void close() throws IOException {
                flush(); // keep the writer open
            }
        })) {
            uow.blobs().get(blob.key(), base64);
        }
        w.write("\"}");
    }

    private static void write(Object row, ObjectNode line) {
        if (row instanceof Record r) {
            line.put("id", r.id());
            line.set("data", r.data());
            line.set("metadata", r.metadata());
        } else if (row instanceof Template t) {
            line.put("identifier", t.identifier());
            line.put("revision", t.revision());
            line.put("description", t.description());
            line.put("content", t.content());
            line.set("variables", t.variables());
            line.set("meta", t.meta());
        } else if (row instanceof ConfigurationSnapshot c) {
            line.put("identifier", c.identifier());
            line.put("revision", c.revision());
            line.set("content", c.content());
        } else if (row instanceof Memory m) {
            line.put("id", m.id());
            line.put("resourceId", m.resourceId());
            line.put("title", m.title());
            line.set("metadata", m.metadata());
            line.put("createdAt", m.createdAt().toString());
            line.put("updatedAt", m.updatedAt().toString());
        } else if (row instanceof MemoryMessage m) {
            line.put("id", m.id());
            line.put("memoryId", m.memoryId());
            line.put("role", m.role().name());
            line.set("content", m.content());
            line.put("resourceId", m.resourceId());
            line.put("createdAt", m.createdAt().toString());
        } else if (row instanceof Definition d) {
            line.put("kind", d.kind().storedName());
            line.put("id", d.id());
            line.put("status", d.status().name());
            if (d.publishedVersion() != null) {
                line.put("publishedVersion", d.publishedVersion());
            }
            line.put("author", d.author());
            line.set("metadata", d.metadata());
        } else if (row instanceof Chunk c) {
            line.put("kb", c.knowledgeBase());
            line.put("document", c.documentId());
            line.put("ordinal", c.ordinal());
            line.put("title", text(c, "title"));
            line.put("heading", text(c, "heading"));
            line.put("content", c.content());
            line.put("contentHash", c.contentHash());
            ArrayNode emb = line.putArray("embedding");
            for (float f : c.embedding()) {
                emb.add(f);
            }
        } else if (row instanceof Blob b) {
            line.put("key", b.key());
            line.put("hash", b.hash());
            line.put("size", b.size());
            line.put("contentType", b.contentType());
            line.set("metadata", b.metadata());
        } else if (!(row instanceof Dataset) && !(row instanceof Experiment)) { // written by their *Lines
            throw new IllegalStateException("not exportable: " + row.getClass().getName());
        }
    }

    /** The versions of {@code d} as the line's {@code versions} array, each detached once written. */
    private static void writeVersions(EntityManager em, Definition d, ObjectNode line) {
        ArrayNode versions = line.putArray("versions");
        List<DefinitionVersion> rows = em.createQuery(VERSIONS_OF_DEFINITION, DefinitionVersion.class)
                .setParameter("kind", d.kind().storedName())
                .setParameter("id", d.id())
                .setHint("org.hibernate.readOnly", true)
                .getResultList();
        for (DefinitionVersion v : rows) {
            ObjectNode version = versions.addObject();
            version.put("number", v.number());
            version.set("content", v.content());
            version.put("changeMessage", v.changeMessage());
            version.put("author", v.author());
            version.put("created", v.created().toString());
            em.detach(v);
        }
    }

    private static String text(Chunk c, String field) {
        return c.payload() != null && c.payload().path(field).isTextual() ? c.payload().get(field).asText() : null;
    }
}
