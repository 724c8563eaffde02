package dev.agentstore.domain.trigger;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rules of a trigger's changes compute the state a write leaves and never change the trigger they start from. */
class TriggerTest {

    private static final Instant REGISTERED = Instant.parse("2030-01-01T00:00:00.123Z");
    private static final Instant NOW = Instant.parse("2030-01-02T03:04:05.678912Z");

    private static Trigger stored(TriggerStatus status) {
        return Trigger.of("t", TriggerType.EVENT, status, REGISTERED, Json.parse("s", "{\"a\":1,\"b\":{\"c\":2}}"), 4,
                5, REGISTERED.plusSeconds(1), 3, REGISTERED);
    }

    @Test
    void aStatusChangeIsANewValueChangedNowWithTheVersionRead() {
        Trigger active = stored(TriggerStatus.ACTIVE);

        Trigger paused = active.paused(NOW);

        assertThat(paused).isNotSameAs(active);
        assertThat(paused.status()).isEqualTo(TriggerStatus.PAUSED);
        assertThat(paused.updatedAt()).isEqualTo(Instant.parse("2030-01-02T03:04:05.678Z"));
        assertThat(paused.version()).isEqualTo(3);
        assertThat(paused.totalFires()).isEqualTo(4);
        assertThat(paused.subscriptions()).isEqualTo(active.subscriptions());
        assertThat(active.status()).as("unchanged").isEqualTo(TriggerStatus.ACTIVE);
        assertThat(active.updatedAt()).isEqualTo(REGISTERED);
        assertThat(paused.disabled(NOW).status()).isEqualTo(TriggerStatus.DISABLED);
        assertThat(paused.resumed(NOW).status()).isEqualTo(TriggerStatus.ACTIVE);
    }

    @Test
    void aChangeToTheStatusAlreadyHeldIsTheSameInstanceAndPausingADisabledTriggerIsRefused() {
        Trigger paused = stored(TriggerStatus.PAUSED);
        Trigger disabled = stored(TriggerStatus.DISABLED);
        Trigger active = stored(TriggerStatus.ACTIVE);

        assertThat(paused.paused(NOW)).isSameAs(paused);
        assertThat(disabled.disabled(NOW)).isSameAs(disabled);
        assertThat(active.resumed(NOW)).isSameAs(active);
        assertThatThrownBy(() -> disabled.paused(NOW)).isInstanceOf(InvalidInputException.class)
                .hasMessage("Trigger t is DISABLED and cannot be paused; resume it first");
        assertThat(disabled.resumed(NOW).status()).isEqualTo(TriggerStatus.ACTIVE);
    }

    @Test
    void aMergeIsANewValueAndAPatchThatChangesNothingIsTheSameInstance() {
        Trigger t = stored(TriggerStatus.ACTIVE);

        Trigger merged = t.withMergedSubscriptions(Json.parse("p", "{\"b\":{\"c\":null,\"d\":3},\"e\":[1]}"), NOW);

        assertThat(merged.subscriptions()).isEqualTo(Json.parse("s", "{\"a\":1,\"b\":{\"d\":3},\"e\":[1]}"));
        assertThat(t.subscriptions()).as("unchanged").isEqualTo(Json.parse("s", "{\"a\":1,\"b\":{\"c\":2}}"));
        assertThat(t.withMergedSubscriptions(Json.parse("p", "{\"a\":1}"), NOW)).isSameAs(t);
        assertThatThrownBy(() -> t.withMergedSubscriptions(Json.parse("p", "[1]"), NOW))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("patch");
    }
}
