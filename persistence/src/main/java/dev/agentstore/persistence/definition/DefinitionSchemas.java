package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.definition.DefinitionKind;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a version's content against its kind's JSON Schema (draft 2020-12, class-path resources
 * {@code dev/agentstore/definition/<kind>.schema.json}) with networknt's json-schema-validator. The schemas are
 * loaded once; thread-safe.
 */
public final class DefinitionSchemas {

    private static final Map<DefinitionKind, Schema> SCHEMAS = load();

    private DefinitionSchemas() {
    }

    /**
     * @param kind    the kind
     * @param content the content to check
     * @return {@code content}
     * @throws InvalidInputException when the content violates the schema; the message names the first violation's
     *                               JSON Pointer ({@code /model}, RFC 6901) and what is wrong, never the value
     */
    public static JsonNode check(DefinitionKind kind, JsonNode content) {
        List<Error> errors = SCHEMAS.get(kind).validate(content);
        if (!errors.isEmpty()) {
            Error first = errors.stream()
                    .min(Comparator.comparing((Error e) -> e.getInstanceLocation().toString())).orElseThrow();
            String at = first.getInstanceLocation().toString();
            throw new InvalidInputException(kind.storedName() + " content is invalid at "
                    + (at.isEmpty() ? "the root" : at) + ": " + first.getMessage()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""));
        }
        return content;
    }

    /**
     * @param kind the kind
     * @return the kind's JSON Schema, as a tree (a copy)
     */
    public static JsonNode schema(DefinitionKind kind) {
        return SCHEMAS.get(kind).getSchemaNode().deepCopy();
    }

    private static Map<DefinitionKind, Schema> load() {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        Map<DefinitionKind, Schema> schemas = new EnumMap<>(DefinitionKind.class);
        for (DefinitionKind kind : DefinitionKind.values()) {
            try (InputStream in = DefinitionSchemas.class.getClassLoader().getResourceAsStream(kind.schemaResource())) {
                if (in == null) {
                    throw new IllegalStateException("missing resource " + kind.schemaResource());
                }
                schemas.put(kind, registry.getSchema(in));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return schemas;
    }
}
