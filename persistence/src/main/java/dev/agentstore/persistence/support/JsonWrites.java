package dev.agentstore.persistence.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.JsonLimits;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Where repositories check a JSON value against the store's {@link JsonLimits} before writing it. The limits are the
 * persistence unit's properties {@code agentstore.json.max-*} ({@link JsonLimits#MAX_STRING_LENGTH}, ...): set by
 * {@code AgentStore} from {@code AgentStoreConfig}, or in a container's {@code persistence.xml}; absent ones keep
 * {@link JsonLimits#DEFAULTS}. They are read once per {@link EntityManagerFactory} and cached (weakly, so a closed
 * factory is not held). Thread-safe.
 */
public final class JsonWrites {

    private static final Map<EntityManagerFactory, JsonLimits> LIMITS = Collections.synchronizedMap(new WeakHashMap<>());

    private JsonWrites() {
    }

    /**
     * @param em the repository's entity manager (its factory's properties hold the limits)
     * @return the limits of {@code em}'s persistence unit
     * @throws InvalidInputException when a property is not an integer or outside 1..ceiling
     */
    public static JsonLimits limits(EntityManager em) {
        EntityManagerFactory factory = em.getEntityManagerFactory();
        JsonLimits limits = LIMITS.get(factory);
        if (limits == null) {
            limits = JsonLimits.fromProperties(factory.getProperties());
            LIMITS.put(factory, limits);
        }
        return limits;
    }

    /**
     * @param em    the repository's entity manager
     * @param field the field's name, for the message
     * @param value the value, or {@code null}
     * @return {@code value}
     * @throws InvalidInputException as {@link JsonLimits#check}
     */
    public static JsonNode check(EntityManager em, String field, JsonNode value) {
        return limits(em).check(field, value);
    }

    /**
     * @param em    the repository's entity manager
     * @param field the field's name, for the message
     * @param value the value; {@code null} prints as JSON {@code null}
     * @return the checked value as compact JSON text, for a statement parameter
     * @throws InvalidInputException as {@link JsonLimits#check}
     */
    public static String print(EntityManager em, String field, JsonNode value) {
        return limits(em).print(field, value);
    }

    /**
     * Checks plain text bound to a {@code text} column against {@link JsonLimits#maxStringLength()} and the content
     * rules (no U+0000, no unpaired surrogate).
     *
     * @param em    the repository's entity manager
     * @param field the field's name, for the message
     * @param value the text, or {@code null}
     * @return {@code value}
     * @throws InvalidInputException when the text is too long or breaks a content rule
     */
    public static String text(EntityManager em, String field, String value) {
        if (value != null && value.length() > limits(em).maxStringLength()) {
            throw new InvalidInputException(field + ": text of " + value.length() + " characters exceeds maxStringLength "
                    + limits(em).maxStringLength());
        }
        return dev.agentstore.domain.Check.noNul(field, value);
    }
}
