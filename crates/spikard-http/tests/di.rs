//! Dependency injection through the pipeline: resolution, lifetimes, cleanups,
//! overrides, and the exact problems of a broken graph.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::{arc, builder, spec};
use serde_json::{json, Value};
use spikard_core::SpikardError;
use spikard_http::di::{Cleanup, Provided};
use spikard_http::hooks::request_hook;
use spikard_http::{
    BoxFuture, Dependencies, Dependency, DependencyFactory, Handler, HandlerResponse, HandlerResult, HookFlow,
    LifecycleHooks, RequestData, Resolved, RouteDependencies, TestClient,
};

type Log = Arc<Mutex<Vec<String>>>;

/// Creates `{"name", "n", "inputs"}`; records `open:<name>` / `close:<name>` when it has a log.
struct Tracked {
    name: &'static str,
    count: AtomicU64,
    log: Option<Log>,
    fail: bool,
}

fn tracked(name: &'static str, log: Option<&Log>) -> Arc<dyn DependencyFactory> {
    Arc::new(Tracked {
        name,
        count: AtomicU64::new(0),
        log: log.cloned(),
        fail: false,
    })
}

impl DependencyFactory for Tracked {
    fn create(&self, deps: &Dependencies, request: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
        if self.fail {
            return Box::pin(async { Err(SpikardError::Internal("factory broke".into())) });
        }
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let value = json!({"name": self.name, "n": n, "inputs": deps.to_json(), "path": request.path});
        let cleanup = self.log.as_ref().map(|log| {
            log.lock().unwrap().push(format!("open:{}", self.name));
            let (log, name) = (log.clone(), self.name);
            Box::pin(async move { log.lock().unwrap().push(format!("close:{name}")) }) as Cleanup
        });
        Box::pin(async move {
            Ok(Provided {
                value: Resolved::json(value),
                cleanup,
            })
        })
    }
}

/// Answers with every resolved dependency's JSON.
struct Deps;

impl Handler for Deps {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        let deps = r
            .extensions
            .get::<Dependencies>()
            .map(Dependencies::to_json)
            .unwrap_or_default();
        Box::pin(async move { Ok(HandlerResponse::json(Value::Object(deps))) })
    }
}

/// Fails after the dependencies were created.
struct Fails;

impl Handler for Fails {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async { Err(SpikardError::Internal("handler broke".into())) })
    }
}

fn get(path: &str) -> spikard_http::RouteSpec {
    spec(json!({"method": "GET", "path": path}))
}

#[tokio::test]
async fn values_factories_and_dependencies_of_dependencies() {
    let mut b = builder();
    let deps = b.dependencies_mut();
    deps.insert("config", Dependency::value(Resolved::json(json!({"url": "db://"}))));
    deps.insert(
        "db",
        Dependency::factory(tracked("db", None))
            .depends_on(["config"])
            .cacheable(),
    );
    b.route_with(
        get("/x"),
        arc(Deps),
        &LifecycleHooks::default(),
        RouteDependencies::needing(["db", "config"]),
    )
    .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        json!({"db": {"name": "db", "n": 1, "inputs": {"config": {"url": "db://"}}, "path": "/x"},
               "config": {"url": "db://"}})
    );
}

#[tokio::test]
async fn singletons_are_shared_across_requests_and_routes() {
    let mut b = builder();
    b.dependencies_mut()
        .insert("pool", Dependency::factory(tracked("pool", None)).singleton());
    b.dependencies_mut()
        .insert("ctx", Dependency::factory(tracked("ctx", None)).cacheable());
    for path in ["/a", "/b"] {
        b.route_with(
            get(path),
            arc(Deps),
            &LifecycleHooks::default(),
            RouteDependencies::needing(["pool", "ctx"]),
        )
        .unwrap();
    }
    let client = TestClient::new(b.build().unwrap());
    let first = client.get("/a").send().await.json();
    let second = client.get("/b").send().await.json();
    assert_eq!(first["pool"]["n"], 1);
    assert_eq!(second["pool"], first["pool"]);
    assert_eq!(second["ctx"]["n"], 2);
}

#[tokio::test]
async fn cleanups_run_in_reverse_order_after_the_response_even_on_error() {
    let log: Log = Arc::default();
    let mut b = builder();
    let deps = b.dependencies_mut();
    deps.insert("outer", Dependency::factory(tracked("outer", Some(&log))).cacheable());
    deps.insert(
        "inner",
        Dependency::factory(tracked("inner", Some(&log)))
            .depends_on(["outer"])
            .cacheable(),
    );
    let needs = RouteDependencies::needing(["inner"]);
    b.route_with(get("/ok"), arc(Deps), &LifecycleHooks::default(), needs.clone())
        .unwrap();
    b.route_with(get("/err"), arc(Fails), &LifecycleHooks::default(), needs)
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    assert_eq!(client.get("/ok").send().await.status, 200);
    assert_eq!(
        *log.lock().unwrap(),
        ["open:outer", "open:inner", "close:inner", "close:outer"]
    );
    log.lock().unwrap().clear();
    let res = client.get("/err").send().await;
    assert_eq!(res.status, 500);
    assert_eq!(
        *log.lock().unwrap(),
        ["open:outer", "open:inner", "close:inner", "close:outer"]
    );
}

#[tokio::test]
async fn a_failing_factory_still_cleans_up_what_was_created() {
    let log: Log = Arc::default();
    let mut b = builder();
    let deps = b.dependencies_mut();
    deps.insert("conn", Dependency::factory(tracked("conn", Some(&log))).cacheable());
    let broken = Arc::new(Tracked {
        name: "svc",
        count: AtomicU64::new(0),
        log: None,
        fail: true,
    });
    deps.insert("svc", Dependency::factory(broken).depends_on(["conn"]));
    b.route_with(
        get("/x"),
        arc(Deps),
        &LifecycleHooks::default(),
        RouteDependencies::needing(["svc"]),
    )
    .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 500);
    assert_eq!(res.json()["detail"], "Internal server error");
    assert_eq!(*log.lock().unwrap(), ["open:conn", "close:conn"]);
}

#[test]
fn a_broken_graph_fails_the_build_naming_route_and_names() {
    let mut b = builder();
    b.dependencies_mut()
        .insert("a", Dependency::factory(tracked("a", None)).depends_on(["b"]));
    b.dependencies_mut()
        .insert("b", Dependency::factory(tracked("b", None)).depends_on(["a"]));
    b.route_with(
        get("/x"),
        arc(Deps),
        &LifecycleHooks::default(),
        RouteDependencies::needing(["a"]),
    )
    .unwrap();
    let err = b.build().err().unwrap();
    assert_eq!(err.to_string(), "GET /x: Circular dependency detected (a -> b -> a)");

    let mut b = builder();
    b.route_with(
        get("/y"),
        arc(Deps),
        &LifecycleHooks::default(),
        RouteDependencies::needing(["ghost"]),
    )
    .unwrap();
    let err = b.build().err().unwrap();
    assert_eq!(
        err.to_string(),
        "GET /y: Required dependency not found (Dependency 'ghost' is not registered)"
    );
}

#[tokio::test]
async fn deferred_graph_errors_are_500_dependency_problems() {
    let mut b = builder();
    b.dependencies_mut()
        .insert("a", Dependency::factory(tracked("a", None)).depends_on(["b"]));
    b.dependencies_mut()
        .insert("b", Dependency::factory(tracked("b", None)).depends_on(["a"]));
    let mut needs = RouteDependencies::needing(["a"]);
    needs.defer_errors = true;
    b.route_with(get("/x"), arc(Deps), &LifecycleHooks::default(), needs)
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 500);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/dependency-error", "title": "Dependency Resolution Failed",
               "status": 500, "detail": "Circular dependency detected",
               "errors": [{"type": "circular_dependency", "msg": "Circular dependency detected in dependency graph",
                           "cycle": ["a", "b", "a"]}]})
    );
}

#[tokio::test]
async fn route_overrides_replace_app_dependencies() {
    let mut b = builder();
    b.dependencies_mut()
        .insert("mode", Dependency::value(Resolved::json(json!("production"))));
    let mut needs = RouteDependencies::needing(["mode"]);
    needs
        .overrides
        .insert("mode", Dependency::value(Resolved::json(json!("test"))));
    b.route_with(get("/t"), arc(Deps), &LifecycleHooks::default(), needs)
        .unwrap();
    b.route_with(
        get("/p"),
        arc(Deps),
        &LifecycleHooks::default(),
        RouteDependencies::needing(["mode"]),
    )
    .unwrap();
    let client = TestClient::new(b.build().unwrap());
    assert_eq!(client.get("/t").send().await.json(), json!({"mode": "test"}));
    assert_eq!(client.get("/p").send().await.json(), json!({"mode": "production"}));
}

struct NeedsLogger;

impl spikard_http::RequestHook for NeedsLogger {
    fn call(&self, mut r: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>> {
        let level = r
            .extensions
            .get::<Dependencies>()
            .and_then(|d| d.json("logger"))
            .and_then(|l| l.get("level"))
            .cloned();
        r.state.insert("level".into(), level.unwrap_or(Value::Null));
        Box::pin(async move { Ok(HookFlow::Continue(r)) })
    }

    fn dependencies(&self) -> &[String] {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| vec!["logger".to_owned()])
    }
}

struct StateEcho;

impl Handler for StateEcho {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move { Ok(HandlerResponse::json(Value::Object(r.state))) })
    }
}

#[tokio::test]
async fn hooks_declaring_dependencies_get_them_before_their_phase() {
    let mut b = builder();
    b.dependencies_mut()
        .insert("logger", Dependency::value(Resolved::json(json!({"level": "debug"}))));
    let mut hooks = LifecycleHooks::default();
    hooks.on_request.push(Arc::new(NeedsLogger));
    hooks
        .pre_handler
        .push(request_hook(|r: RequestData| async move { Ok(HookFlow::Continue(r)) }));
    b.route_with(get("/h"), arc(StateEcho), &hooks, RouteDependencies::default())
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    assert_eq!(client.get("/h").send().await.json(), json!({"level": "debug"}));
}

#[tokio::test]
async fn over_a_real_socket_cleanups_run_once_the_response_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let log: Log = Arc::default();
    let mut b = builder();
    b.dependencies_mut()
        .insert("conn", Dependency::factory(tracked("conn", Some(&log))).cacheable());
    b.route_with(
        get("/x"),
        arc(Deps),
        &LifecycleHooks::default(),
        RouteDependencies::needing(["conn"]),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(spikard_http::server::serve_listener(
        listener,
        b.build().unwrap(),
        async move {
            let _ = rx.await;
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /x HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"conn\""), "{text}");
    // The connection is closed once the body was sent; the cleanup has run or is running.
    for _ in 0..500 {
        if log.lock().unwrap().len() == 2 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert_eq!(*log.lock().unwrap(), ["open:conn", "close:conn"]);
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
