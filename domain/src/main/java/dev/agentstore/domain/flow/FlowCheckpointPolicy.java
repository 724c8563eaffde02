package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.time.Instant;

/**
 * The JPA mapping of a flow's checkpoint setting (table {@code flow_checkpoint_policies}, one row per flow that records
 * checkpoints, deleted with the flow), for JPA users' reads; read-only to JPA ({@link ReadOnlyEntity}). The repository
 * ({@code CheckpointRepository}) writes it with SQL and hands out {@link CheckpointPolicy} values.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "flow_checkpoint_policies")
public class FlowCheckpointPolicy {

    @Id
    @Column(name = "flow_name", length = Check.MAX_NAME_LENGTH)
    private String flowName;

    @Enumerated(EnumType.STRING)
    @Column(name = "retention", nullable = false, length = 32)
    private CheckpointRetention retention;

    @Column(name = "keep_last")
    private Integer keepLast;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    /** For JPA. */
    protected FlowCheckpointPolicy() {
    }

    /** @return the flow's name */
    public String flowName() {
        return flowName;
    }

    /** @return the policy as a value */
    public CheckpointPolicy policy() {
        return new CheckpointPolicy(retention, keepLast);
    }

    /** @return when the policy was last set */
    public Instant updatedAt() {
        return updatedAt;
    }
}
