package dev.agentstore.domain.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;

import java.util.UUID;

/**
 * One change of a dataset's items, given to {@code DatasetRepository.apply}: add an item, update (replace) an item's
 * input, expected output and metadata, or delete an item. All changes of one call make one dataset version.
 */
public sealed interface ItemChange {

    /** @return the id of the item the change is about */
    String itemId();

    /**
     * Adds an item.
     *
     * @param itemId         the new item's id, 1–255 characters, not the id of a current item of the dataset
     * @param input          the input, any JSON value (JSON {@code null} included), not Java {@code null}
     * @param expectedOutput the expected output, or {@code null} for none
     * @param metadata       a JSON object, or {@code null} for {@code {}}
     */
    record Add(String itemId, JsonNode input, JsonNode expectedOutput, JsonNode metadata) implements ItemChange {

        /** @throws dev.agentstore.domain.InvalidInputException when the id, input or metadata is invalid */
        public Add {
            Dataset.requireId("itemId", itemId);
            input = Check.notNull("input", input).deepCopy();
            expectedOutput = expectedOutput == null ? null : expectedOutput.deepCopy();
            metadata = DatasetItem.requireObject("metadata", metadata);
        }
    }

    /**
     * Replaces a current item's input, expected output and metadata.
     *
     * @param itemId         the id of a current item of the dataset
     * @param input          the new input, not Java {@code null}
     * @param expectedOutput the new expected output, or {@code null} for none
     * @param metadata       the new metadata, a JSON object, or {@code null} for {@code {}}
     */
    record Update(String itemId, JsonNode input, JsonNode expectedOutput, JsonNode metadata) implements ItemChange {

        /** @throws dev.agentstore.domain.InvalidInputException when the id, input or metadata is invalid */
        public Update {
            Dataset.requireId("itemId", itemId);
            input = Check.notNull("input", input).deepCopy();
            expectedOutput = expectedOutput == null ? null : expectedOutput.deepCopy();
            metadata = DatasetItem.requireObject("metadata", metadata);
        }
    }

    /**
     * Deletes a current item; its revisions stay readable as of earlier versions.
     *
     * @param itemId the id of a current item of the dataset
     */
    record Delete(String itemId) implements ItemChange {

        /** @throws dev.agentstore.domain.InvalidInputException when the id is invalid */
        public Delete {
            Dataset.requireId("itemId", itemId);
        }
    }

    /**
     * @param itemId         the new item's id
     * @param input          the input
     * @param expectedOutput the expected output, or {@code null}
     * @param metadata       a JSON object, or {@code null}
     * @return the change
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid
     */
    static Add add(String itemId, JsonNode input, JsonNode expectedOutput, JsonNode metadata) {
        return new Add(itemId, input, expectedOutput, metadata);
    }

    /**
     * Adds an item with a new random id ({@link UUID#randomUUID()}, read it with {@link #itemId()}) and no metadata.
     *
     * @param input          the input
     * @param expectedOutput the expected output, or {@code null}
     * @return the change
     * @throws dev.agentstore.domain.InvalidInputException when the input is {@code null}
     */
    static Add add(JsonNode input, JsonNode expectedOutput) {
        return new Add(UUID.randomUUID().toString(), input, expectedOutput, null);
    }

    /**
     * @param itemId         the item's id
     * @param input          the new input
     * @param expectedOutput the new expected output, or {@code null}
     * @param metadata       the new metadata, or {@code null}
     * @return the change
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid
     */
    static Update update(String itemId, JsonNode input, JsonNode expectedOutput, JsonNode metadata) {
        return new Update(itemId, input, expectedOutput, metadata);
    }

    /**
     * @param itemId the item's id
     * @return the change
     * @throws dev.agentstore.domain.InvalidInputException when the id is invalid
     */
    static Delete delete(String itemId) {
        return new Delete(itemId);
    }
}
