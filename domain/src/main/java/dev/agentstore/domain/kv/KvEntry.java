package dev.agentstore.domain.kv;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** STUB: to be replaced by the full entity. */
@Entity
@Table(name = "kv_entries")
public class KvEntry {
    @Id
    @Column(name = "\"key\"")
    private String key;

    protected KvEntry() {
    }
}
