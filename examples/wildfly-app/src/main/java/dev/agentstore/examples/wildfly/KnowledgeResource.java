package dev.agentstore.examples.wildfly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.query.Filter;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Knowledge bases and vector search over HTTP (pgvector), with the repositories injected as CDI beans. Bodies are
 * JSON text, parsed and printed with {@link Json}. Errors map to statuses in {@link AgentStoreExceptionMapper}.
 * Each call is one transaction (the repository's own): creating a base runs its {@code CREATE INDEX}, which should
 * not share a long transaction with other work.
 *
 * <ul>
 *   <li>{@code PUT /api/knowledge/{base}}: create the base, {@code {"dimension": 8, "distance": "COSINE"}}
 *       (distance optional, cosine by default), with an HNSW index; 409 when it exists.</li>
 *   <li>{@code PUT /api/knowledge/{base}/chunks}: upsert chunks, {@code [{"id", "documentId", "ordinal", "content",
 *       "embedding": [...], "payload": {...}}]} (id, ordinal and payload optional); returns their ids.</li>
 *   <li>{@code POST /api/knowledge/{base}/search}: {@code {"vector": [...], "k": 5, "filter": {"payload.lang": "en"}}}
 *       (k 5 by default; the filter, optional, is equality per path, all of them); returns the matches nearest
 *       first, {@code [{"id", "documentId", "content", "score", "payload"}]}.</li>
 * </ul>
 */
@Path("knowledge/{base}")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class KnowledgeResource {

    @Inject
    KnowledgeRepository knowledge;

    @Inject
    ChunkRepository chunks;

    @PathParam("base")
    String base;

    /**
     * @param body {@code {"dimension": 8, "distance": "COSINE"}}
     * @return the base
     * @throws DuplicateException (409) when a base of that name exists
     */
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    public String create(String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        Distance distance = parseDistance(json.path("distance").asText("COSINE"));
        KnowledgeBase kb = knowledge.create(base, json.path("dimension").asInt(0), distance, IndexSpec.hnsw());
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", kb.name());
        o.put("dimension", kb.dimension());
        o.put("distance", kb.distance().name());
        return Json.print(o);
    }

    /**
     * @param body a JSON array of chunks
     * @return the ids of the upserted chunks, in order
     * @throws NotFoundException (404) when the base does not exist
     */
    @PUT
    @Path("chunks")
    @Consumes(MediaType.APPLICATION_JSON)
    public String upsert(String body) {
        JsonNode json = Json.parse("body", body);
        if (!json.isArray()) {
            throw new InvalidInputException("body must be a JSON array of chunks");
        }
        List<NewChunk> batch = new ArrayList<>();
        for (JsonNode c : json) {
            batch.add(new NewChunk(c.path("id").asText(null), c.path("documentId").asText(null),
                    c.path("ordinal").asInt(0), c.path("content").asText(null), vector("embedding", c.get("embedding")),
                    c.get("payload"), null));
        }
        ArrayNode ids = Json.MAPPER.createArrayNode();
        chunks.upsert(base, batch).forEach(ids::add);
        return Json.print(ids);
    }

    /**
     * @param body {@code {"vector": [...], "k": 5, "filter": {"payload.lang": "en"}}}
     * @return the matches, nearest first
     * @throws NotFoundException (404) when the base does not exist
     */
    @POST
    @Path("search")
    @Consumes(MediaType.APPLICATION_JSON)
    public String search(String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        SearchOptions options = SearchOptions.top(json.path("k").asInt(5));
        if (json.has("filter")) {
            List<Filter> equalities = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : Json.requireObject("filter", json.get("filter")).properties()) {
                equalities.add(Filter.eq(e.getKey(), e.getValue()));
            }
            options = options.withFilter(Filter.and(equalities.toArray(Filter[]::new)));
        }
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (ChunkMatch m : chunks.search(base, vector("vector", json.get("vector")), options)) {
            ObjectNode o = array.addObject();
            o.put("id", m.id());
            o.put("documentId", m.documentId());
            o.put("content", m.content());
            o.put("score", m.score());
            o.set("payload", m.payload());
        }
        return Json.print(array);
    }

    /** @return {@code node} as a vector; {@link InvalidInputException} naming {@code parameter} when it is not one */
    static float[] vector(String parameter, JsonNode node) {
        if (node == null || !node.isArray()) {
            throw new InvalidInputException(parameter + " must be a JSON array of numbers");
        }
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            if (!node.get(i).isNumber()) {
                throw new InvalidInputException(parameter + "[" + i + "] must be a number");
            }
            v[i] = node.get(i).floatValue();
        }
        return v;
    }

    private static Distance parseDistance(String name) {
        try {
            return Distance.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("distance must be COSINE, L2 or INNER_PRODUCT, was " + name);
        }
    }
}
