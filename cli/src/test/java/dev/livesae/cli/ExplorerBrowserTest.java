package dev.livesae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livesae.kafka.test.KafkaBrokerExtension;
import dev.livesae.sources.EuroparlCorpus;
import dev.livesae.sources.TextLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feature explorer in a real headless chromium, against a real monitor fed through the broker: the demo's
 * pipeline (MiniLM activations of Europarl text -> trainer -> codes -> monitor, vocabulary on vocab.<model>) in
 * {@code --serve} mode. Loads {@code /}, sorts, searches, opens a feature, checks what is rendered against the
 * JSON, and opens {@code /?feature=N} directly.
 */
class ExplorerBrowserTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration UI = Duration.ofSeconds(20);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void pageSortsSearchesAndShowsTheContextsTheJsonHolds(@TempDir Path dir) throws Exception {
        Path chromium = Chromium.binary(); // fails here, before the pipeline, when chromium is missing
        List<String> lines;
        try (TextLines europarl = EuroparlCorpus.lines()) {
            lines = europarl.next(160);
        }
        DemoOptions options = new DemoOptions(1_000_000, "blocks.3.hook_resid_post", 256, 8, 256, 0, 1000, 16, 20, 3, 1,
                dir, -1, 0, 1, KAFKA.clientConfig()).serving();
        Demo demo = new Demo(options, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                () -> TextLines.perLine(new BufferedReader(new StringReader(String.join("\n", lines)))));
        CompletableFuture<Demo.Report> run = CompletableFuture.supplyAsync(() -> {
            try {
                return demo.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            CompletableFuture.anyOf(demo.serving(), run).get(5, TimeUnit.MINUTES);
            assertThat(run).as("the demo serves instead of returning").isNotDone();
            URI page = demo.serving().get();
            assertThat(page.getHost()).isEqualTo("127.0.0.1");
            browse(page, chromium);
        } finally {
            demo.requestStop();
            run.get(2, TimeUnit.MINUTES);
        }
    }

    private void browse(URI page, Path chromium) throws Exception {
        // the broker may hold codes of earlier runs too (another SAE id): the page shows the first stream of /streams
        JsonNode stream = json(page, "/streams").get("streams").get(0);
        this.stream = "&sae_id=" + java.net.URLEncoder.encode(stream.get("saeId").asText(), StandardCharsets.UTF_8)
                + "&hookpoint=" + java.net.URLEncoder.encode(stream.get("hookpoint").asText(), StandardCharsets.UTF_8);
        JsonNode first = json(page, "/features?sort=density&limit=50");
        int dSae = first.get("dSae").asInt();
        assertThat(first.get("vocabulary").asBoolean()).as("vocab.<model> read by the monitor").isTrue();
        JsonNode withContext = null;
        for (JsonNode row : first.get("features")) {
            if (!row.get("top").isNull()) {
                withContext = row;
                break;
            }
        }
        assertThat(withContext).as("a feature with a stored context").isNotNull();
        int feature = withContext.get("id").asInt();

        long t0 = System.nanoTime();
        try (Chromium browser = Chromium.start(1280, 900)) {
            browser.navigate(page.toString());
            browser.evalUntil("the table is rendered", "document.body.dataset.ready === 'table' && "
                    + "document.querySelectorAll('tr.feature-row').length", v -> v.asInt() > 0, UI);
            assertThat(renderedIds(browser)).as("default order: the server's density order")
                    .isEqualTo(ids(first.get("features")));
            assertThat(browser.eval("performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin))")
                    .asBoolean()).as("every asset from the monitor itself (no CDN)").isTrue();

            // sort by id: ascending first, then descending
            browser.eval("document.querySelector(\"th[data-sort='id']\").click()");
            browser.evalUntil("sorted by id ascending", "document.querySelector('tr.feature-row').dataset.id", v -> v.asText().equals("0"), UI);
            assertThat(browser.eval("document.querySelector(\"th[data-sort='id']\").className").asText()).isEqualTo("sorted-asc");
            browser.eval("document.querySelector(\"th[data-sort='id']\").click()");
            browser.evalUntil("sorted by id descending", "document.querySelector('tr.feature-row').dataset.id",
                    v -> v.asText().equals(Integer.toString(dSae - 1)), UI);

            // search for the firing token of that feature's top context
            String token = withContext.at("/top/text").get(withContext.at("/top/firing").asInt()).asText();
            String q = token.replace("##", "");
            browser.eval("(() => { const s = document.getElementById('search'); s.value = " + JSON.writeValueAsString(q)
                    + "; s.dispatchEvent(new Event('input')); })()");
            JsonNode searched = json(page, "/features?sort=id&order=desc&limit=50&q=" + java.net.URLEncoder.encode(q, StandardCharsets.UTF_8));
            assertThat(ids(searched.get("features"))).as("the server's search finds the feature").contains(feature);
            browser.evalUntil("the search result is rendered", "JSON.stringify([...document.querySelectorAll('tr.feature-row')]"
                    + ".map(r => Number(r.dataset.id)))", v -> v.asText().equals(ids(searched.get("features")).toString().replace(" ", "")), UI);

            // open the feature from its row
            browser.eval("document.querySelector(\"tr.feature-row[data-id='" + feature + "']\").click()");
            browser.evalUntil("feature " + feature + " is open", "document.body.dataset.ready === 'feature' && "
                    + "document.getElementById('feature-view').dataset.id", v -> v.asText().equals(Integer.toString(feature)), UI);
            assertThat(browser.eval("location.search").asText()).isEqualTo("?feature=" + feature);
            JsonNode detail = json(page, "/features/" + feature);
            assertTopContextMatches(browser, detail);
            assertThat(browser.eval("document.querySelectorAll('#histogram rect').length").asInt())
                    .as("histogram bars").isPositive();

            // a shared link opens another feature directly
            int other = first.get("features").get(first.get("features").size() - 1).get("id").asInt();
            browser.navigate(page.resolve("/?feature=" + other).toString());
            browser.evalUntil("/?feature=" + other + " opens it", "document.body.dataset.ready === 'feature' && "
                    + "document.getElementById('feature-title').textContent", v -> v.asText().equals("Feature #" + other), UI);
            assertThat(browser.eval("document.getElementById('table-view').hidden").asBoolean()).isTrue();
            Files.write(Path.of("target", "explorer-browser-test.png"), browser.screenshot());
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("the browser part").isLessThan(Duration.ofMinutes(1));
    }

    private static void assertTopContextMatches(Chromium browser, JsonNode detail) throws InterruptedException {
        JsonNode top = detail.get("contexts").get(0);
        String expected = top.get("text").get(top.get("firing").asInt()).asText();
        assertThat(expected).as("token text from the vocabulary, not an id").doesNotStartWith("#");
        JsonNode rendered = browser.evalUntil("the top context is rendered", "(() => { const t = document.querySelector("
                + "'#contexts li .tok.firing'); return t ? {text: t.dataset.text, shown: t.textContent, "
                + "act: Number(t.closest('li').querySelector('.act').textContent), "
                + "tokens: [...t.closest('li').querySelectorAll('.tok')].map(x => x.dataset.text)} : null; })()",
                v -> v != null && !v.isNull(), UI);
        assertThat(rendered.get("text").asText()).as("highlighted token = JSON's firing token").isEqualTo(expected);
        assertThat(rendered.get("shown").asText()).isEqualTo(expected.startsWith("##") ? expected.substring(2) : expected);
        assertThat(rendered.get("act").asDouble()).isCloseTo(top.get("activation").asDouble(), org.assertj.core.data.Offset.offset(0.001));
        List<String> tokens = new ArrayList<>();
        top.get("text").forEach(t -> tokens.add(t.asText()));
        List<String> shown = new ArrayList<>();
        rendered.get("tokens").forEach(t -> shown.add(t.asText()));
        assertThat(shown).as("the whole window, in order").isEqualTo(tokens);
        assertThat(browser.eval("document.querySelectorAll('#contexts li').length").asInt())
                .isEqualTo(detail.get("contexts").size());
    }

    private static List<Integer> renderedIds(Chromium browser) {
        List<Integer> ids = new ArrayList<>();
        browser.eval("[...document.querySelectorAll('tr.feature-row')].map(r => Number(r.dataset.id))").forEach(n -> ids.add(n.asInt()));
        return ids;
    }

    private static List<Integer> ids(JsonNode rows) {
        List<Integer> ids = new ArrayList<>();
        rows.forEach(r -> ids.add(r.get("id").asInt()));
        return ids;
    }

    /** The page's stream as query parameters ({@code &sae_id=..&hookpoint=..}), for the JSON asked beside it. */
    private String stream = "";

    private JsonNode json(URI page, String path) throws Exception {
        String withStream = path.equals("/streams") || stream.isEmpty() ? path
                : path + (path.contains("?") ? stream : "?" + stream.substring(1));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(page.resolve(withStream)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
