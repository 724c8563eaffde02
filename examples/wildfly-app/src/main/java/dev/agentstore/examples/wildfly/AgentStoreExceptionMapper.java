package dev.agentstore.examples.wildfly;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * agentstore's typed exceptions as HTTP statuses: {@link NotFoundException} 404, {@link InvalidInputException} 400,
 * {@link DuplicateException} and {@link ConcurrencyConflictException} 409, anything else 500. The body is
 * {@code {"error": message}}; messages name entity and key, never a password.
 */
@Provider
public class AgentStoreExceptionMapper implements ExceptionMapper<AgentStoreException> {

    /** Created by JAX-RS. */
    public AgentStoreExceptionMapper() {
    }

    @Override
    public Response toResponse(AgentStoreException e) {
        int status = e instanceof NotFoundException ? 404
                : e instanceof InvalidInputException ? 400
                : e instanceof DuplicateException || e instanceof ConcurrencyConflictException ? 409
                : 500;
        String body = Json.print(Json.MAPPER.createObjectNode().put("error", e.getMessage()));
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
