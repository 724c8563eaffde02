package dev.agentstore.domain.scheduler;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** STUB: to be replaced by the full entity. */
@Entity
@Table(name = "scheduler_jobs")
public class SchedulerJob {
    @Id
    
    private String id;

    protected SchedulerJob() {
    }
}
