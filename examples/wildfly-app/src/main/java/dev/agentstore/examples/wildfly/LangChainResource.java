package dev.agentstore.examples.wildfly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;

/**
 * LangChain4j on agentstore in a Jakarta EE application: the {@link ChatMemoryStore} and
 * {@code EmbeddingStore<TextSegment>} that {@code agentstore-langchain4j}'s CDI producer
 * ({@code AgentStoreLangChain4jProducer}) makes, injected as any LangChain4j application would inject its stores.
 * The embedding store works on the knowledge base {@code langchain4j} (the producer's default), which must exist:
 * create it with {@code PUT /api/knowledge/langchain4j}.
 *
 * <ul>
 *   <li>{@code POST /api/langchain4j/memory/{id}}: append a message, {@code {"type": "user", "text": "..."}} (type
 *       {@code system}, {@code user} or {@code ai}); returns the conversation as {@link #messages} does.</li>
 *   <li>{@code GET /api/langchain4j/memory/{id}}: the conversation, {@code [{"type", "text"}]}, oldest first.</li>
 *   <li>{@code POST /api/langchain4j/embeddings}: add a segment, {@code {"text": "...", "vector": [...]}}; returns
 *       {@code {"id"}}.</li>
 *   <li>{@code POST /api/langchain4j/embeddings/search}: {@code {"vector": [...], "k": 3}}; returns
 *       {@code [{"id", "text", "score"}]}, best first.</li>
 * </ul>
 */
@Path("langchain4j")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class LangChainResource {

    @Inject
    ChatMemoryStore memory;

    @Inject
    EmbeddingStore<TextSegment> embeddings;

    /**
     * Appends one message the way LangChain4j's {@code MessageWindowChatMemory} does: reads the conversation, adds
     * the message, hands the whole list back (the store writes only the new message).
     *
     * @param id   the conversation's id
     * @param body {@code {"type": "user", "text": "..."}}
     * @return the conversation after the append
     * @throws InvalidInputException (400) when the body is not such an object
     */
    @POST
    @Path("memory/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public String append(@PathParam("id") String id, String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        String text = json.path("text").asText("");
        ChatMessage message = switch (json.path("type").asText("")) {
            case "system" -> SystemMessage.from(text);
            case "user" -> UserMessage.from(text);
            case "ai" -> AiMessage.from(text);
            default -> throw new InvalidInputException("type must be system, user or ai");
        };
        List<ChatMessage> messages = new ArrayList<>(memory.getMessages(id));
        messages.add(message);
        memory.updateMessages(id, messages);
        return messages(id);
    }

    /**
     * @param id the conversation's id
     * @return the conversation, {@code [{"type", "text"}]}, oldest first; {@code []} when there is none
     */
    @GET
    @Path("memory/{id}")
    public String messages(@PathParam("id") String id) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (ChatMessage m : memory.getMessages(id)) {
            ObjectNode o = out.addObject();
            o.put("type", m.type().name().toLowerCase(java.util.Locale.ROOT));
            o.put("text", m instanceof UserMessage u ? u.singleText()
                    : m instanceof AiMessage a ? a.text()
                    : m instanceof SystemMessage s ? s.text() : null);
        }
        return Json.print(out);
    }

    /**
     * @param body {@code {"text": "...", "vector": [...]}}
     * @return {@code {"id"}}
     * @throws InvalidInputException (400) when the body is not such an object
     */
    @POST
    @Path("embeddings")
    @Consumes(MediaType.APPLICATION_JSON)
    public String add(String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        String id = embeddings.add(Embedding.from(KnowledgeResource.vector("vector", json.get("vector"))),
                TextSegment.from(json.path("text").asText("")));
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        return Json.print(o);
    }

    /**
     * @param body {@code {"vector": [...], "k": 3}} (k 3 by default)
     * @return {@code [{"id", "text", "score"}]}, best first
     * @throws InvalidInputException (400) when the body is not such an object
     */
    @POST
    @Path("embeddings/search")
    @Consumes(MediaType.APPLICATION_JSON)
    public String search(String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        EmbeddingSearchRequest request = EmbeddingSearchRequest.builder()
                .queryEmbedding(Embedding.from(KnowledgeResource.vector("vector", json.get("vector"))))
                .maxResults(json.path("k").asInt(3))
                .build();
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (EmbeddingMatch<TextSegment> m : embeddings.search(request).matches()) {
            ObjectNode o = out.addObject();
            o.put("id", m.embeddingId());
            o.put("text", m.embedded() == null ? null : m.embedded().text());
            o.put("score", m.score());
        }
        return Json.print(out);
    }
}
