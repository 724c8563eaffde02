package dev.agentstore.domain.trigger;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** STUB: to be replaced by the full entity. */
@Entity
@Table(name = "trigger_events")
public class TriggerEvent {
    @Id
    
    private Long id;

    protected TriggerEvent() {
    }
}
