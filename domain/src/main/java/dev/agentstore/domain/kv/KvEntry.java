package dev.agentstore.domain.kv;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;

/** STUB: to be replaced by the full entity. */
@Entity
@Table(name = "kv_entries")
public class KvEntry {
    @Id
    @Column(name = "\"key\"")
    private String key;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "value", columnDefinition = "jsonb", nullable = false)
    private JsonNode value;

    @Column(name = "expires_at")
    private Instant expiresAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    private long version;

    protected KvEntry() {
    }

    public KvEntry(String key, JsonNode value, Instant now) {
        this.key = key;
        this.value = value;
        this.updatedAt = now;
    }

    public JsonNode value() {
        return value;
    }
    public long version() { return version; }
}
