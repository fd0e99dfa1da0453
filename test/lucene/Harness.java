// Test harness: loads a `photowords export --engine opensearch` directory into real Lucene 8
// (the release line inside Elasticsearch 7.10 / OpenSearch 1.x) with the field types and the
// similarity index.json declares, runs the exported engine queries the way those engines build
// them, and writes the rankings. Test code only; no build tool:
//   java -cp "/usr/share/java/lucene-core-8.7.0.jar:/usr/share/java/lucene-analyzers-common-8.7.0.jar" test/lucene/Harness.java <command> ...
// (Debian's liblucene8-java ships Lucene 8.8.1 under 8.7.0 file names.)
//
// Commands:
//   index EXPORT_DIR INDEX_DIR [SHARDS]      bulk-*.ndjson -> INDEX_DIR/shard-I (documents routed by id % SHARDS)
//   index-binary INDEX_DIR                   rank_features documents from stdin, little-endian:
//                                            int32 words, then words x (int32 term, float32 weight); for the 1M-photo timing
//   search INDEX_DIR QUERIES OUT MODE [DENSE_N]
//       QUERIES: one engine query body (query.ts) a line; MODE: single (one shard), local (each
//       shard with its own statistics, top k merged: query_then_fetch), global (every shard under
//       one set of statistics: what dfs_query_then_fetch gives). OUT: a line a query, "id:score"
//       best first; with DENSE_N also OUT.f32, a score for each of DENSE_N documents (by export order) a query.
//   time INDEX_DIR QUERIES K WARMUP          per-query latency on one shard (one thread, as a shard serves a query): median, p95
//
// The query is what the engines build: rank_feature {field: "words.T", linear: {}, boost: b} is
// FeatureField.newLinearQuery(field, T, 1) wrapped in BoostQuery(b); term {boost: b} is a
// TermQuery in BoostQuery(b); bool.should is a BooleanQuery of SHOULD clauses. The text field's
// similarity is the scripted one of index.json, computed as Elasticsearch's ScriptedSimilarity does
// (norm = SmallFloat.intToByte4(tokens), doc.length = byte4ToInt(norm)).
import java.io.*;
import java.nio.*;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.document.*;
import org.apache.lucene.index.*;
import org.apache.lucene.search.*;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.SmallFloat;

public class Harness {
  static final String WORDS = "words";
  static final String TEXT = "words_text";

  public static void main(String[] a) throws Exception {
    BooleanQuery.setMaxClauseCount(1 << 20);
    switch (a[0]) {
      case "index": index(Paths.get(a[1]), Paths.get(a[2]), a.length > 3 ? Integer.parseInt(a[3]) : 1); break;
      case "index-binary": indexBinary(Paths.get(a[1])); break;
      case "search": search(Paths.get(a[1]), Paths.get(a[2]), Paths.get(a[3]), a[4], a.length > 5 ? Integer.parseInt(a[5]) : 0); break;
      case "time": time(Paths.get(a[1]), Paths.get(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4])); break;
      default: throw new IllegalArgumentException("unknown command " + a[0]);
    }
  }

  // ---- the scripted similarity of export.ts's TEXT_SIMILARITY, as Elasticsearch runs it ----------
  static class ScriptedTfidf extends Similarity {
    @Override public long computeNorm(FieldInvertState state) {
      return SmallFloat.intToByte4(state.getLength() - state.getNumOverlap());
    }
    @Override public SimScorer scorer(float boost, CollectionStatistics c, TermStatistics... t) {
      double idf = Math.log((1.0 + c.docCount()) / (1.0 + t[0].docFreq())) + 1.0;
      final double weight = boost * idf;
      return new SimScorer() {
        @Override public float score(float freq, long norm) {
          int length = SmallFloat.byte4ToInt((byte) norm);
          return (float) (weight * (1.0 + Math.log(freq)) / Math.sqrt(length));
        }
      };
    }
  }

  static IndexWriter writer(Path dir, boolean text) throws IOException {
    IndexWriterConfig c = new IndexWriterConfig(new WhitespaceAnalyzer());
    c.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    c.setRAMBufferSizeMB(512);
    // Keeps documents in the order they were added (tie-breaking by doc id then matches the export order).
    c.setMergePolicy(new LogDocMergePolicy());
    if (text) c.setSimilarity(new ScriptedTfidf());
    return new IndexWriter(FSDirectory.open(dir), c);
  }

  static final FieldType TEXT_TYPE = new FieldType();
  static {
    TEXT_TYPE.setTokenized(true);
    TEXT_TYPE.setIndexOptions(IndexOptions.DOCS_AND_FREQS); // index_options: freqs
    TEXT_TYPE.freeze();
  }

  static void index(Path export, Path out, int shards) throws Exception {
    Map<String, Object> def = obj(new Json(Files.readString(export.resolve("index.json"))).parse());
    Map<String, Object> props = obj(obj(def.get("mappings")).get("properties"));
    boolean text = props.containsKey(TEXT);
    if (!text && !"rank_features".equals(obj(props.get(WORDS)).get("type"))) throw new IllegalStateException("mapping declares neither rank_features " + WORDS + " nor text " + TEXT);
    IndexWriter[] w = new IndexWriter[shards];
    for (int s = 0; s < shards; s++) w[s] = writer(out.resolve("shard-" + s), text);
    File[] files = export.toFile().listFiles((d, n) -> n.matches("bulk-\\d+\\.ndjson"));
    Arrays.sort(files);
    long ord = 0, postings = 0;
    for (File f : files) {
      try (BufferedReader r = Files.newBufferedReader(f.toPath(), StandardCharsets.UTF_8)) {
        for (String action; (action = r.readLine()) != null; ) {
          Map<String, Object> src = obj(new Json(r.readLine()).parse());
          long id = ((Number) src.get("id")).longValue();
          Document doc = new Document();
          doc.add(new StoredField("id", id));
          doc.add(new NumericDocValuesField("ord", ord));
          if (text) {
            doc.add(new Field(TEXT, (String) src.get(TEXT), TEXT_TYPE));
          } else {
            for (Map.Entry<String, Object> e : obj(src.get(WORDS)).entrySet()) {
              doc.add(new FeatureField(WORDS, e.getKey(), ((Number) e.getValue()).floatValue()));
              postings++;
            }
          }
          w[(int) Math.floorMod(id, (long) shards)].addDocument(doc);
          ord++;
        }
      }
    }
    for (IndexWriter x : w) { x.commit(); x.close(); }
    System.out.println("{\"docs\":" + ord + ",\"postings\":" + postings + ",\"shards\":" + shards + ",\"bytes\":" + size(out) + "}");
  }

  static void indexBinary(Path out) throws Exception {
    long t0 = System.nanoTime();
    IndexWriter w = writer(out.resolve("shard-0"), false);
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 20));
    byte[] buf = new byte[1 << 16];
    long ord = 0, postings = 0;
    for (;;) {
      int n;
      try { n = Integer.reverseBytes(in.readInt()); } catch (EOFException e) { break; }
      if (buf.length < n * 8) buf = new byte[n * 8];
      in.readFully(buf, 0, n * 8);
      ByteBuffer b = ByteBuffer.wrap(buf, 0, n * 8).order(ByteOrder.LITTLE_ENDIAN);
      Document doc = new Document();
      doc.add(new StoredField("id", ord));
      doc.add(new NumericDocValuesField("ord", ord));
      for (int i = 0; i < n; i++) doc.add(new FeatureField(WORDS, Integer.toString(b.getInt()), b.getFloat()));
      w.addDocument(doc);
      postings += n;
      if (++ord % 100000 == 0) System.err.println("  " + ord + " documents, " + (System.nanoTime() - t0) / 1000000000 + " s");
    }
    w.commit();
    int segments = w.getDocStats().numDocs > 0 ? DirectoryReader.open(w).leaves().size() : 0;
    w.close();
    System.out.println("{\"docs\":" + ord + ",\"postings\":" + postings + ",\"segments\":" + segments + ",\"bytes\":" + size(out) + ",\"seconds\":" + (System.nanoTime() - t0) / 1e9 + "}");
  }

  static long size(Path p) throws IOException {
    try (var s = Files.walk(p)) { return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum(); }
  }

  /** An engine query body (query.ts) as the Lucene queries Elasticsearch/OpenSearch build from it. */
  static final class EQ {
    Query main; int k;
    Query rescore; int window; float queryWeight = 1, rescoreWeight = 1;
  }

  static Query bool(Map<String, Object> q) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (Object c : (List<?>) obj(q.get("bool")).get("should")) {
      Map<String, Object> clause = obj(c);
      if (clause.containsKey("rank_feature")) {
        Map<String, Object> rf = obj(clause.get("rank_feature"));
        String field = (String) rf.get("field");
        if (!rf.containsKey("linear")) throw new IllegalArgumentException("only the linear function is used");
        int dot = field.indexOf('.');
        Query f = FeatureField.newLinearQuery(field.substring(0, dot), field.substring(dot + 1), 1f);
        b.add(new BoostQuery(f, ((Number) rf.get("boost")).floatValue()), BooleanClause.Occur.SHOULD);
      } else {
        Map<String, Object> term = obj(clause.get("term"));
        Map.Entry<String, Object> e = term.entrySet().iterator().next();
        Map<String, Object> v = obj(e.getValue());
        b.add(new BoostQuery(new TermQuery(new Term(e.getKey(), (String) v.get("value"))), ((Number) v.get("boost")).floatValue()), BooleanClause.Occur.SHOULD);
      }
    }
    return b.build();
  }

  static EQ toQuery(String line) {
    Map<String, Object> body = obj(new Json(line).parse());
    EQ q = new EQ();
    q.k = ((Number) body.get("size")).intValue();
    q.main = bool(obj(body.get("query")));
    if (body.containsKey("rescore")) {
      Map<String, Object> r = obj(body.get("rescore"));
      Map<String, Object> rq = obj(r.get("query"));
      q.window = ((Number) r.get("window_size")).intValue();
      q.rescore = bool(obj(rq.get("rescore_query")));
      q.queryWeight = ((Number) rq.get("query_weight")).floatValue();
      q.rescoreWeight = ((Number) rq.get("rescore_query_weight")).floatValue();
    }
    return q;
  }

  /**
   * One shard's hits: the query's top n, or with rescore its top window re-scored as the engines'
   * query rescorer does (Lucene's QueryRescorer, scores combined by the weights, score mode total).
   */
  static TopDocs shardHits(IndexSearcher s, EQ q, int n) throws IOException {
    if (q.rescore == null) {
      TopScoreDocCollector c = TopScoreDocCollector.create(n, n);
      s.search(q.main, c);
      return c.topDocs();
    }
    int w = Math.max(n, q.window);
    TopScoreDocCollector c = TopScoreDocCollector.create(w, w);
    s.search(q.main, c);
    final float qw = q.queryWeight, rw = q.rescoreWeight;
    QueryRescorer r = new QueryRescorer(q.rescore) {
      @Override protected float combine(float first, boolean matches, float second) {
        return qw * first + (matches ? rw * second : 0f);
      }
    };
    return r.rescore(s, c.topDocs(), n);
  }

  static IndexReader[] shards(Path dir) throws IOException {
    File[] ds = dir.toFile().listFiles((d, n) -> n.startsWith("shard-"));
    Arrays.sort(ds, Comparator.comparingInt(f -> Integer.parseInt(f.getName().substring(6))));
    IndexReader[] r = new IndexReader[ds.length];
    for (int i = 0; i < ds.length; i++) r[i] = DirectoryReader.open(FSDirectory.open(ds[i].toPath()));
    return r;
  }

  static IndexSearcher searcher(IndexReader r, boolean text) {
    IndexSearcher s = new IndexSearcher(r);
    if (text) s.setSimilarity(new ScriptedTfidf());
    return s;
  }

  static long[] ids(IndexReader r) throws IOException {
    long[] ids = new long[r.maxDoc()];
    for (int d = 0; d < ids.length; d++) ids[d] = r.document(d).getField("id").numericValue().longValue();
    return ids;
  }

  static int[] ords(IndexReader r) throws IOException {
    int[] o = new int[r.maxDoc()];
    for (LeafReaderContext leaf : r.leaves()) {
      NumericDocValues v = leaf.reader().getNumericDocValues("ord");
      for (int d = v.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = v.nextDoc()) o[leaf.docBase + d] = (int) v.longValue();
    }
    return o;
  }

  static void search(Path dir, Path queries, Path out, String mode, int denseN) throws Exception {
    IndexReader[] rs = shards(dir);
    boolean text = isText(rs[0]);
    IndexReader all = rs.length == 1 ? rs[0] : new MultiReader(rs);
    List<IndexSearcher> ss = new ArrayList<>();
    List<long[]> idss = new ArrayList<>();
    List<IndexReader> readers = new ArrayList<>();
    if (mode.equals("local")) readers.addAll(Arrays.asList(rs));
    else if (mode.equals("single") || mode.equals("global")) readers.add(all);
    else throw new IllegalArgumentException("mode must be single, local or global");
    for (IndexReader r : readers) { ss.add(searcher(r, text)); idss.add(ids(r)); }
    // Dense rows are scored by the same readers as the ranking: in local mode each shard with its own statistics.
    List<int[]> ordss = new ArrayList<>();
    if (denseN > 0) for (IndexReader r : readers) ordss.add(ords(r));
    try (BufferedReader in = Files.newBufferedReader(queries);
         PrintWriter pw = new PrintWriter(Files.newBufferedWriter(out));
         FileChannel dense = denseN > 0 ? FileChannel.open(Paths.get(out + ".f32"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING) : null) {
      ByteBuffer row = denseN > 0 ? ByteBuffer.allocate(denseN * 4).order(ByteOrder.LITTLE_ENDIAN) : null;
      for (String line; (line = in.readLine()) != null; ) {
        EQ q = toQuery(line);
        int k = q.k;
        // Each shard's top k, merged by score, then shard, then doc: how the coordinating node reduces.
        List<long[]> hits = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (int s = 0; s < ss.size(); s++) {
          for (ScoreDoc sd : shardHits(ss.get(s), q, k).scoreDocs) { hits.add(new long[] { s, sd.doc }); scores.add(sd.score); }
        }
        Integer[] order = new Integer[hits.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> {
          int c = Float.compare(scores.get(y), scores.get(x));
          if (c != 0) return c;
          c = Long.compare(hits.get(x)[0], hits.get(y)[0]);
          return c != 0 ? c : Long.compare(hits.get(x)[1], hits.get(y)[1]);
        });
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(k, order.length); i++) {
          long[] h = hits.get(order[i]);
          if (i > 0) sb.append(' ');
          sb.append(idss.get((int) h[0])[(int) h[1]]).append(':').append(scores.get(order[i]));
        }
        pw.println(sb);
        if (dense != null) {
          // A score for every document, for mAP over the full ranking: the main query's, and with
          // rescore the re-scored window on top (1 + score) with the rest scaled below 1, which is
          // the order a user paging past the window sees (as ImpactIndex.scoreAll does).
          final float[] sc = new float[denseN];
          for (int si = 0; si < ss.size(); si++) {
            final int[] ordAll = ordss.get(si);
            IndexSearcher denseSearcher = ss.get(si);
            denseSearcher.search(q.main, new SimpleCollector() {
              Scorable scorer; int base;
              @Override public ScoreMode scoreMode() { return ScoreMode.COMPLETE; }
              @Override public void setScorer(Scorable s) { scorer = s; }
              @Override protected void doSetNextReader(LeafReaderContext c) { base = c.docBase; }
              @Override public void collect(int doc) throws IOException { sc[ordAll[base + doc]] = scorer.score(); }
            });
          }
          if (q.rescore != null) {
            if (ss.size() != 1) throw new IllegalArgumentException("dense rows with rescore need one reader (mode single or global)");
            float max = 0;
            for (float v : sc) max = Math.max(max, v);
            float scale = max > 0 ? 0.999f / max : 0f;
            for (int i = 0; i < denseN; i++) sc[i] *= scale;
            for (ScoreDoc sd : shardHits(ss.get(0), q, q.window).scoreDocs) sc[ordss.get(0)[sd.doc]] = 1 + sd.score;
          }
          row.clear();
          row.asFloatBuffer().put(sc);
          row.position(0).limit(denseN * 4);
          while (row.hasRemaining()) dense.write(row);
        }
      }
    }
  }

  static boolean isText(IndexReader r) throws IOException {
    for (LeafReaderContext l : r.leaves()) if (l.reader().getFieldInfos().fieldInfo(TEXT) != null) return true;
    return false;
  }

  static void time(Path dir, Path queries, int k, int warmup) throws Exception {
    IndexReader r = shards(dir)[0];
    IndexSearcher s = searcher(r, isText(r));
    List<EQ> qs = new ArrayList<>();
    for (String line : Files.readAllLines(queries)) qs.add(toQuery(line));
    for (int i = 0; i < warmup; i++) shardHits(s, qs.get(i % qs.size()), k);
    double[] ms = new double[qs.size()];
    // CPU time of the searching thread too: on a machine shared with other work, wall time also
    // counts the time the thread waited for a core.
    double[] cpu = new double[qs.size()];
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long hits = 0;
    for (int i = 0; i < qs.size(); i++) {
      // track_total_hits false: count only up to k, so block-max WAND may skip what cannot make the top k.
      long c0 = mx.getCurrentThreadCpuTime();
      long t = System.nanoTime();
      TopDocs td = shardHits(s, qs.get(i), k);
      ms[i] = (System.nanoTime() - t) / 1e6;
      cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
      hits += td.scoreDocs.length;
    }
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    double[] cs = cpu.clone();
    Arrays.sort(cs);
    int p95 = Math.min(sorted.length - 1, (int) Math.floor(0.95 * sorted.length));
    System.out.printf(Locale.ROOT, "{\"docs\":%d,\"segments\":%d,\"queries\":%d,\"k\":%d,\"medianMs\":%.2f,\"p95Ms\":%.2f,\"maxMs\":%.2f,\"meanMs\":%.2f,\"cpuMedianMs\":%.2f,\"cpuP95Ms\":%.2f}%n",
        r.maxDoc(), r.leaves().size(), ms.length, k, sorted[sorted.length / 2], sorted[p95], sorted[sorted.length - 1], Arrays.stream(ms).average().orElse(0), cs[cs.length / 2], cs[p95]);
  }

  // ---- a small JSON reader (the JDK has none): objects, arrays, strings, numbers, literals --------
  @SuppressWarnings("unchecked")
  static Map<String, Object> obj(Object o) { return (Map<String, Object>) o; }

  static final class Json {
    final String s; int i;
    Json(String s) { this.s = s; }
    Object parse() { ws(); Object v = value(); return v; }
    void ws() { while (i < s.length() && s.charAt(i) <= ' ') i++; }
    Object value() {
      ws();
      char c = s.charAt(i);
      if (c == '{') {
        Map<String, Object> m = new LinkedHashMap<>();
        i++; ws();
        if (s.charAt(i) == '}') { i++; return m; }
        for (;;) {
          ws(); String k = string(); ws(); i++; // ':'
          m.put(k, value()); ws();
          if (s.charAt(i++) == '}') return m;
        }
      }
      if (c == '[') {
        List<Object> l = new ArrayList<>();
        i++; ws();
        if (s.charAt(i) == ']') { i++; return l; }
        for (;;) { l.add(value()); ws(); if (s.charAt(i++) == ']') return l; }
      }
      if (c == '"') return string();
      if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
      if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
      if (s.startsWith("null", i)) { i += 4; return null; }
      int st = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
      return Double.parseDouble(s.substring(st, i));
    }
    String string() {
      StringBuilder b = new StringBuilder();
      i++; // opening quote
      for (;;) {
        char c = s.charAt(i++);
        if (c == '"') return b.toString();
        if (c != '\\') { b.append(c); continue; }
        char e = s.charAt(i++);
        switch (e) {
          case 'n': b.append('\n'); break;
          case 't': b.append('\t'); break;
          case 'r': b.append('\r'); break;
          case 'b': b.append('\b'); break;
          case 'f': b.append('\f'); break;
          case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
          default: b.append(e);
        }
      }
    }
  }
}
