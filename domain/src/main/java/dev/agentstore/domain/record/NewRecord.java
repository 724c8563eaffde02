package dev.agentstore.domain.record;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One record to create in a batch ({@code RecordRepository.createBatch}): an optional id, the data and optional
 * metadata. Only holds the values; they are validated (with {@link Record#requireId} and
 * {@link Record#requireData}) when the batch is created, before anything is written.
 *
 * @param id       the id, or {@code null} for a generated UUID
 * @param data     a JSON object
 * @param metadata a JSON object, or {@code null} for {@code {}}
 */
public record NewRecord(String id, JsonNode data, JsonNode metadata) {

    /**
     * @param data a JSON object
     * @return a record with a generated id and no metadata
     */
    public static NewRecord of(JsonNode data) {
        return new NewRecord(null, data, null);
    }

    /**
     * @param id   the id, or {@code null} for a generated UUID
     * @param data a JSON object
     * @return a record without metadata
     */
    public static NewRecord of(String id, JsonNode data) {
        return new NewRecord(id, data, null);
    }
}
