package dev.agentstore.persistence.trigger;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Listing sees every trigger of the schema, so it has a schema of its own. */
@ExtendWith(AgentStoreExtension.class)
class TriggerListTest {

    @Test
    void listPagesTriggersByNameWithTheTotalAndFiltersByStatus(AgentStore store) {
        store.inTransaction(uow -> {
            for (String name : new String[]{"e", "c", "a", "d", "b"}) {
                uow.triggers().register(name, TriggerType.EVENT);
            }
        });
        store.inTransaction(uow -> {
            uow.triggers().pause("b");
            uow.triggers().pause("d");
            uow.triggers().disable("e");
        });

        Page<Trigger> first = store.fromTransaction(uow -> uow.triggers().list(PageRequest.of(0, 2)));
        Page<Trigger> last = store.fromTransaction(uow -> uow.triggers().list(PageRequest.of(2, 2)));
        Page<Trigger> paused = store.fromTransaction(uow -> uow.triggers().list(TriggerStatus.PAUSED, PageRequest.of(0, 10)));
        Page<Trigger> beyond = store.fromTransaction(uow -> uow.triggers().list(PageRequest.of(5, 2)));

        assertThat(first.items()).extracting(Trigger::name).containsExactly("a", "b");
        assertThat(first.total()).isEqualTo(5);
        assertThat(first.hasMore()).isTrue();
        assertThat(last.items()).extracting(Trigger::name).containsExactly("e");
        assertThat(last.hasMore()).isFalse();
        assertThat(paused.items()).extracting(Trigger::name).containsExactly("b", "d");
        assertThat(paused.total()).isEqualTo(2);
        assertThat(beyond.items()).isEmpty();
        assertThat(beyond.total()).isEqualTo(5);
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().list(null)))
                .isInstanceOf(InvalidInputException.class);
    }
}
