//! A loopback HTTP server for the fetcher's tests: each path answers from a
//! script, and every request is counted and its headers kept.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// One scripted answer of the test server.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// No `Content-Length`: tiny_http sends the body chunked, so the cap must
    /// hold without a length to trust.
    chunked: bool,
    /// Waits this long before answering (a slow server).
    delay: Duration,
}

impl Reply {
    pub(super) fn ok(body: &[u8]) -> Reply {
        Reply::status(200, body)
    }
    pub(super) fn status(status: u16, body: &[u8]) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
            chunked: false,
            delay: Duration::ZERO,
        }
    }
    pub(super) fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    pub(super) fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }
    pub(super) fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// What the server holds for one path: the answers still to give (the last
/// one repeats), and what it saw.
#[derive(Debug, Default)]
struct Route {
    script: VecDeque<Reply>,
    hits: usize,
    /// Every request's headers, in order.
    requests: Vec<Vec<(String, String)>>,
}

type Routes = Arc<Mutex<HashMap<String, Route>>>;

fn lock(routes: &Routes) -> MutexGuard<'_, HashMap<String, Route>> {
    routes.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A loopback server answering each path from a script, counting requests and
/// recording their headers. Each request is answered on its own thread, so a
/// slow answer does not hold up the next request. Dropping it closes the port.
pub(super) struct Server {
    server: Arc<tiny_http::Server>,
    pub(super) base: String,
    routes: Routes,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub(super) fn start() -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let addr = server
            .server_addr()
            .to_ip()
            .expect("tcp listener has an ip");
        let routes = Routes::default();
        let thread = {
            let server = Arc::clone(&server);
            let routes = Arc::clone(&routes);
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    let reply = {
                        let mut routes = lock(&routes);
                        let route = routes.entry(request.url().to_string()).or_default();
                        route.hits += 1;
                        route.requests.push(
                            request
                                .headers()
                                .iter()
                                .map(|h| (h.field.to_string(), h.value.to_string()))
                                .collect(),
                        );
                        if route.script.len() > 1 {
                            route.script.pop_front()
                        } else {
                            route.script.front().cloned()
                        }
                        .unwrap_or_else(|| Reply::status(404, b"not found"))
                    };
                    thread::spawn(move || {
                        thread::sleep(reply.delay);
                        let len = reply.body.len();
                        let mut response = tiny_http::Response::new(
                            tiny_http::StatusCode(reply.status),
                            Vec::new(),
                            io::Cursor::new(reply.body),
                            (!reply.chunked).then_some(len),
                            None,
                        );
                        for (name, value) in &reply.headers {
                            let header =
                                tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
                                    .expect("valid test header");
                            response.add_header(header);
                        }
                        // A client that gave up (a timeout test) is not an error.
                        let _ = request.respond(response);
                    });
                }
            })
        };
        Server {
            server,
            base: format!("http://{addr}"),
            routes,
            thread: Some(thread),
        }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers `path` with `replies` in order; the last one repeats.
    pub(super) fn script(&self, path: &str, replies: Vec<Reply>) {
        lock(&self.routes)
            .entry(path.to_string())
            .or_default()
            .script = replies.into();
    }

    pub(super) fn hits(&self, path: &str) -> usize {
        lock(&self.routes).get(path).map_or(0, |r| r.hits)
    }

    /// Header `name` of request number `n` (from 0) to `path`.
    pub(super) fn header(&self, path: &str, n: usize, name: &str) -> Option<String> {
        lock(&self.routes)
            .get(path)
            .and_then(|r| r.requests.get(n))
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.clone())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
