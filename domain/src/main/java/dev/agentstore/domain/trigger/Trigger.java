package dev.agentstore.domain.trigger;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** STUB: to be replaced by the full entity. */
@Entity
@Table(name = "triggers")
public class Trigger {
    @Id
    
    private String name;

    protected Trigger() {
    }
}
