//! Micro benchmarks of the bot's own work per click (see benches/README.md).
//!
//! `cargo bench --bench micro` runs them all; a name filter runs some
//! (`cargo bench --bench micro -- sled`). Criterion reports means; the durable sled step
//! also prints p50/p99 computed from individual timings, because a flush is a tail
//! event rather than a steady cost.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

use activation_check::card::{Card, TimeStyle};
use activation_check::conversation::{Click, Conversation, Input, Reply, Step, View};
use activation_check::custom_id::{rules_tag, Action, CustomId, Place};
use activation_check::discord::spec::{self, Owner};
use activation_check::engine::{Position, Walk};
use activation_check::i18n::{LocaleId, Localizer};
use activation_check::knowledge::{self, Knowledge};
use activation_check::rules::{self, Rules};
use activation_check::session::{MemoryStore, Scope, SessionKey, SessionRecord, SessionStore};
use activation_check::store::{SledStore, StoreOptions};

const NOW: i64 = 1_767_225_600; // 2026-01-01, for cards

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn knowledge() -> Knowledge {
    knowledge::load(
        &root().join("rules/activation-check.toml"),
        &root().join("i18n"),
        "en-US",
    )
    .expect("the shipped rules and texts load")
}

/// The walk that always takes the first choice, up to its outcome.
fn finished_walk(rules: &Rules) -> Walk {
    let mut w = Walk::start(rules);
    while let Position::Asking(..) = w.position(rules) {
        w = w.answer(rules, 0).expect("choice 0 exists");
    }
    w
}

fn load(c: &mut Criterion) {
    let rules_file = root().join("rules/activation-check.toml");
    let i18n = root().join("i18n");
    let text = std::fs::read_to_string(&rules_file).unwrap();
    let mut g = c.benchmark_group("load");
    g.sample_size(30);
    g.bench_function("rules_parse_validate", |b| {
        b.iter(|| rules::load_str(black_box(&text), &rules_file).unwrap())
    });
    g.bench_function("i18n_load", |b| {
        b.iter(|| Localizer::load(black_box(&i18n), "en-US").unwrap())
    });
    g.bench_function("knowledge_load", |b| {
        b.iter(|| knowledge::load(black_box(&rules_file), &i18n, "en-US").unwrap())
    });
    g.finish();
}

fn engine(c: &mut Criterion) {
    let k = knowledge();
    let rules = &*k.rules;
    let start = Walk::start(rules);
    let done = finished_walk(rules);
    let answers = done.answers(rules);
    let mut g = c.benchmark_group("engine");
    g.bench_function("answer_one_step", |b| {
        b.iter(|| black_box(&start).answer(rules, black_box(0)).unwrap())
    });
    g.bench_function("replay_finished_walk", |b| {
        b.iter(|| Walk::replay(rules, black_box(&answers)).unwrap())
    });
    g.finish();
}

fn render(c: &mut Criterion) {
    let k = knowledge();
    let rules = &*k.rules;
    let l10n = &*k.l10n;
    let done = finished_walk(rules);
    let start = Walk::start(rules);
    let owner = Owner {
        user: 920_000_000_000_000_003,
        place: Place::Server,
        rules_tag: rules_tag(&rules.meta.version),
        step: 7,
        answers: done.symbols(rules),
    };
    let conv = Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        Arc::new(MemoryStore::new()),
        Arc::new(|| NOW),
        TimeStyle::Discord,
    );
    let mut g = c.benchmark_group("render");
    for tag in ["ja", "en-US"] {
        let locale: LocaleId = l10n.exact(tag).unwrap();
        g.bench_function(format!("card_build/{tag}"), |b| {
            b.iter(|| {
                Card::build(
                    rules,
                    black_box(&done),
                    l10n,
                    locale,
                    NOW,
                    TimeStyle::Discord,
                )
                .unwrap()
            })
        });
        // What the bot does for a card reply: build it and lay it out as a message.
        g.bench_function(format!("card_message/{tag}"), |b| {
            b.iter(|| {
                let view = conv.view(black_box(&done), NOW, locale);
                spec::view_message(&view, l10n, locale, &owner)
            })
        });
        g.bench_function(format!("question_message/{tag}"), |b| {
            b.iter(|| {
                let view = conv.view(black_box(&start), NOW, locale);
                spec::view_message(&view, l10n, locale, &owner)
            })
        });
        g.bench_function(format!("card_text/{tag}"), |b| {
            let card = Card::build(rules, &done, l10n, locale, NOW, TimeStyle::Rfc3339).unwrap();
            b.iter(|| black_box(&card).render_text())
        });
    }
    g.bench_function("negotiate_locale", |b| {
        b.iter(|| l10n.negotiate(black_box(&["ja", "en-US"])))
    });
    g.finish();
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A stored session; dated now, as the store's clock expires old ones.
fn record(rules: &Rules, walk: &Walk, step: u64) -> SessionRecord {
    let now = activation_check::clock::unix_now();
    let mut r = SessionRecord::new(&rules.meta.version, "en-US", now);
    r.answers = walk.answers(rules);
    r.step = step;
    r.last_input = Some(Input::Restart.key());
    r.updated_at = now;
    r
}

/// p50/p99/max of `n` individual timings of `f`, printed as one line.
fn percentiles(name: &str, n: usize, mut f: impl FnMut(usize)) {
    for i in 0..n / 10 {
        f(i); // warm-up
    }
    let mut t: Vec<Duration> = (0..n)
        .map(|i| {
            let s = Instant::now();
            f(i);
            s.elapsed()
        })
        .collect();
    t.sort();
    let q = |p: f64| t[((t.len() as f64 * p) as usize).min(t.len() - 1)];
    let mean = t.iter().sum::<Duration>() / t.len() as u32;
    println!(
        "{name}: n={n} mean={mean:?} p50={:?} p99={:?} max={:?}",
        q(0.50),
        q(0.99),
        t[t.len() - 1]
    );
}

fn sled_step(c: &mut Criterion) {
    let k = knowledge();
    let rules = &*k.rules;
    let done = finished_walk(rules);
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
    let rt = rt();
    // Some other sessions, so the trees are not trivially small.
    rt.block_on(async {
        for u in 0..1000u64 {
            let key = SessionKey::new(Scope::Guild(1), u.to_string());
            store.put(&key, &record(rules, &done, u)).await.unwrap();
        }
    });
    let key = SessionKey::new(Scope::Guild(1), "920000000000000003");
    let mut step = 0u64;
    let mut g = c.benchmark_group("sled");
    g.bench_function("get", |b| {
        b.iter(|| store.get(black_box(&SessionKey::new(Scope::Guild(1), "17"))))
    });
    g.bench_function("put_durable", |b| {
        b.iter_batched(
            || {
                step += 1;
                record(rules, &done, step)
            },
            |r| rt.block_on(store.put(&key, &r)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    percentiles("sled/put_durable (write + flush)", 3000, |i| {
        let r = record(rules, &done, 1_000_000 + i as u64);
        rt.block_on(store.put(&key, &r)).unwrap();
    });

    // One whole click as the bot judges it: decode the button, replay its answers, step,
    // save (written behind the reply), build the reply view.
    let store = Arc::new(store);
    let _guard = rt.enter();
    store.write_behind();
    let conv = Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        store,
        activation_check::clock::system_clock(),
        TimeStyle::Discord,
    );
    let locale = k.l10n.exact("ja").unwrap();
    let mut clicker = Clicker::open(&rt, &conv, &key, locale);
    let mut g = c.benchmark_group("conversation");
    g.bench_function("click_sled", |b| b.iter(|| clicker.click(&rt, &conv)));
    g.finish();
    percentiles("conversation/click_sled", 3000, |_| {
        clicker.click(&rt, &conv)
    });
    let mem = Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        Arc::new(MemoryStore::new()),
        Arc::new(|| NOW),
        TimeStyle::Discord,
    );
    let mut clicker = Clicker::open(&rt, &mem, &key, locale);
    let mut g = c.benchmark_group("conversation");
    g.bench_function("click_memory", |b| b.iter(|| clicker.click(&rt, &mem)));
    g.finish();
}

/// A user clicking through conversations as the load driver does: the first choice
/// until the card, then Start over.
struct Clicker {
    key: SessionKey,
    locale: LocaleId,
    reply: Reply,
}

impl Clicker {
    fn open<S: SessionStore>(
        rt: &tokio::runtime::Runtime,
        conv: &Conversation<S>,
        key: &SessionKey,
        locale: LocaleId,
    ) -> Self {
        let reply = rt.block_on(conv.open(key, locale)).unwrap().reply;
        Self {
            key: key.clone(),
            locale,
            reply,
        }
    }

    fn click<S: SessionStore>(&mut self, rt: &tokio::runtime::Runtime, conv: &Conversation<S>) {
        let action = match &self.reply.view {
            View::Question(q) => Action::Answer(q.symbols[0]),
            View::Card(_) => Action::Restart,
        };
        // The button as the bot encodes it, decoded as a click's is.
        let id = CustomId::new(
            action,
            920_000_000_000_000_003,
            conv.rules_tag(),
            self.reply.step,
            Place::Server,
            self.reply.answers,
        )
        .encode();
        let id = CustomId::decode(black_box(&id)).unwrap();
        let step = rt.block_on(conv.click(Click {
            key: &self.key,
            clicker: 920_000_000_000_000_003,
            locale: self.locale,
            id: &id,
            picked: None,
        }));
        let Ok(Step::Moved(reply)) = step else {
            panic!("a click moves: {step:?}")
        };
        self.reply = reply;
    }
}

criterion_group!(benches, load, engine, render, sled_step);
criterion_main!(benches);
