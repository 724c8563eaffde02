package dev.agentstore.bench;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generators are byte-identical to the spec ({@code shared/bench/WORKLOADS.md}). Expected values come from the
 * spec's reference list and from {@code src/test/js/reference.js}, a JavaScript implementation of the spec run with
 * node (the peers' engine); they are hard-coded here.
 */
class GeneratorsTest {

    private static final String PAYLOAD_0 = "{\"seq\":0,\"runId\":\"run-000000\",\"tokens\":932,\"score\":0.729,\"text\":\"Opz7xBShAIN5oRZy9mSIXDCnwKuLTqmbI1TIyVAHUjoxARCjPWxPEdLamPgfoVv0uQ8sNok4ZUfDRNSk9B0ySZDTgAPDuztQKBfCSOqOoBi4u0IGTPE7CbOZADvxX5M3MVnKz9y3Gxm6rYsIratxlzOngxuZEg1CCW7Oej8542j8WaFPSIIIwal6YjTgNvalV2UuBEWpP5sm4U92DrxifriiX5WsYXf92EBjvUVQx\"}";
    private static final String PAYLOAD_1 = "{\"seq\":1,\"runId\":\"run-000000\",\"tokens\":2145,\"score\":0.858,\"text\":\"3TEu2HRxk6KFfxicVcYgk6Wu3640TmogL2pDjfusOVVIPdPew2y3xBeJuqbGxliIYqEAwKoUyt2dsmY0G0KeW47mR3yx4dWhFzcQXg9WGidOXpvogyMi1Ho1uEgIxzn7AaiFZhwrGnguuvbK25zDnD42qbtgYKRXZbkYkJHcwRt1F5EiQ0TH8VWHde8irRWUD3mSqHHoPmHKLUXw9rcEPNZNNy8DVZDwBZBVml20\"}";
    private static final String PAYLOAD_2 = "{\"seq\":2,\"runId\":\"run-000000\",\"tokens\":285,\"score\":0.988,\"text\":\"1MOKw3kmEmSWQCt1cgWNdKfhACVipB3ya9KXAePpHCjJAnI3D34t5gQJ3aimzGocS7uqlsVKDt9m1utp1B37694CshKe91i9uBuHfJqvusHWvh5q2SWQN2lidkgISBwSGeYoDYLv9ffYlidzG3cYeI5MRP6b1AKCBIQiMWRs4PWEHRzyDeinx8h4gMCu2VmMhREQ4j6n3LswRtiVQuFrLsumkZMAe3AaR86C6vq6T\"}";
    private static final String PAYLOAD_LAST = "{\"seq\":99,\"runId\":\"run-000199\",\"tokens\":2443,\"score\":0.419,\"text\":\"ZA0ZvXC3PwUprLIHW7YbiLHc1xjvi2lNJe1seGf0JkaQGPfWUs85rqN8dsuQJ3o0sDVuUKD9qQw1zxLYIO11YyQhYHJiAsC0bC8Tx6cNac49qbIl2VKFIBFHIG4aHm1zAQjHhLAZZnQqYNqil8iP3rPP8Nda21fXYqWnaNgUTeWKbJo3reA54ZKgkAbYOqf0JEZ4hTlutYl7uDK5FQZNQSKMo7dF9zub5VvVAX6\"}";

    @Test
    void streamFortyTwoOneStartsWithTheSpecValues() {
        Mulberry32 rng = Mulberry32.stream(42, 1);
        assertThat(rng.next()).isEqualTo(0.22769622574560344);
        assertThat(rng.next()).isEqualTo(0.7293748185038567);
        assertThat(rng.next()).isEqualTo(0.6519158422015607);
    }

    @Test
    void otherSeedsMatchTheJavaScriptReference() {
        Mulberry32 rng = Mulberry32.stream(7, 3);
        assertThat(rng.next()).isEqualTo(0.471744833746925);
        assertThat(rng.next()).isEqualTo(0.0725408960133791);
        assertThat(rng.next()).isEqualTo(0.09810306644067168);
    }

    @Test
    void firstPayloadsOfSeedFortyTwoAreTheSpecBytes() {
        Mulberry32 rng = Mulberry32.stream(42, 1);
        assertThat(Generators.payload(rng, "run-000000", 0)).isEqualTo(PAYLOAD_0);
        assertThat(Generators.payload(rng, "run-000000", 1)).isEqualTo(PAYLOAD_1);
        assertThat(Generators.payload(rng, "run-000000", 2)).isEqualTo(PAYLOAD_2);
        assertThat(PAYLOAD_0.getBytes(StandardCharsets.UTF_8)).hasSize(300);
    }

    @Test
    void allTwentyThousandWorkloadOnePayloadsAreByteIdenticalAndThreeHundredBytes() throws Exception {
        Mulberry32 rng = Mulberry32.stream(42, 1);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        String last = null;
        for (int r = 0; r < 200; r++) {
            for (int e = 0; e < 100; e++) {
                last = Generators.payload(rng, "run-" + Generators.pad6(r), e);
                byte[] bytes = last.getBytes(StandardCharsets.UTF_8);
                assertThat(bytes).hasSize(Generators.PAYLOAD_BYTES);
                sha.update(bytes);
            }
        }
        assertThat(last).isEqualTo(PAYLOAD_LAST);
        assertThat(HexFormat.of().formatHex(sha.digest()))
                .isEqualTo("95e2d4319cd58443c4bd2b304144998db53485092b79dceb28cf8e860a6bd2fc");
    }

    @Test
    void readAndKvStreamsDrawTheReferenceIndexes() {
        Mulberry32 w5 = Mulberry32.stream(42, 5);
        assertThat(new int[]{w5.randInt(200), w5.randInt(200), w5.randInt(200), w5.randInt(200), w5.randInt(200)})
                .containsExactly(180, 189, 166, 172, 28);
        Mulberry32 w6 = Mulberry32.stream(42, 6);
        assertThat(new int[]{w6.randInt(10000), w6.randInt(10000), w6.randInt(10000), w6.randInt(10000),
                w6.randInt(10000)}).containsExactly(8561, 1222, 1099, 3384, 4930);
    }

    @Test
    void firstMemoryMessageTextIsTheReference() {
        String text = Mulberry32.stream(42, 7).randText(280);
        assertThat(text).startsWith("gJcJ6VBLirDXQMUlVFigSUiJ71YUkYDpESCORzop").hasSize(280)
                .endsWith("mKrupHIFDt23DO");
    }

    @Test
    void unitVectorsAreTheSpecFloat32Components() throws Exception {
        Mulberry32 rng = Mulberry32.stream(42, 8);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        float[] v0 = null;
        float[] v1 = null;
        for (int i = 0; i < 100; i++) {
            float[] v = Generators.unitVector(rng, 384);
            if (i == 0) {
                v0 = v;
            } else if (i == 1) {
                v1 = v;
            }
            ByteBuffer buf = ByteBuffer.allocate(384 * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                buf.putFloat(f);
            }
            sha.update(buf.array());
        }
        assertThat(v0).startsWith((float) -0.02470245026051998, (float) -0.0009506031055934727,
                (float) -0.08952831476926804, (float) 0.03054472617805004);
        assertThat(v1).startsWith((float) -0.0627007707953453, (float) 0.04538869857788086,
                (float) 0.007492023520171642, (float) 0.05101587250828743);
        // float32 bits of v0..v99, little endian, as JavaScript's Float32Array buffer
        assertThat(HexFormat.of().formatHex(sha.digest()))
                .isEqualTo("1526d29971bb80df8613bc023b242f16122e242ec884950823fdf63d2af66322");
    }

    @Test
    void filteredQueryStreamDrawsTheDocThenTheVector() {
        Mulberry32 rng = Mulberry32.stream(42, 10);
        assertThat(rng.randInt(100)).isEqualTo(63);
        assertThat(Generators.unitVector(rng, 384)).startsWith((float) 0.041483376175165176, (float) 0.02542923204600811);
    }

    @Test
    void javaScriptNumberSpelling() {
        assertThat(Generators.jsNumber(0.0)).isEqualTo("0");
        assertThat(Generators.jsNumber(1.0)).isEqualTo("1");
        assertThat(Generators.jsNumber(0.729)).isEqualTo("0.729");
        assertThat(Generators.jsNumber(0.001)).isEqualTo("0.001");
        assertThat(Generators.jsNumber(0.05)).isEqualTo("0.05");
    }

    @Test
    void scaledCountsAndNearestRankPercentiles() {
        assertThat(Generators.scaled(200, 0.05)).isEqualTo(10);
        assertThat(Generators.scaled(500, 0.001)).isEqualTo(1);
        assertThat(Generators.scaled(5000, 1)).isEqualTo(5000);
        double[] sorted = new double[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }
        assertThat(Generators.percentile(sorted, 50)).isEqualTo(50);
        assertThat(Generators.percentile(sorted, 99)).isEqualTo(99);
        assertThat(Generators.percentile(new double[]{7}, 99)).isEqualTo(7);
        assertThat(Generators.percentile(new double[]{1, 2, 3}, 50)).isEqualTo(2);
        assertThat(Generators.pad6(42)).isEqualTo("000042");
        assertThat(Generators.pad3(7)).isEqualTo("007");
    }
}
