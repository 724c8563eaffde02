package dev.agentstore.domain.flow;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** STUB: to be replaced by the full entity. */
@Entity
@Table(name = "flows")
public class Flow {
    @Id
    
    private String name;

    protected Flow() {
    }
}
