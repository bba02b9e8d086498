//! Every request the language server answers runs under `catch_unwind`: a bug that panics in a
//! handler (a query, a command planning a change, `initialize`) becomes an internal-error answer
//! to that request, and the connection goes on serving. tower-lsp-server does not catch panics
//! itself; without this, one panicking handler ended the whole connection.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_lsp_server::jsonrpc::{self, Request, Response};

/// A service whose calls are polled inside `catch_unwind`.
pub struct CatchPanic<S>(pub S);

type Answer<E> = Pin<Box<dyn Future<Output = Result<Option<Response>, E>> + Send>>;

impl<S> tower_service::Service<Request> for CatchPanic<S>
where
    S: tower_service::Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Answer<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let id = request.id().cloned();
        let method = request.method().to_string();
        let answer_panic = move |panic: Box<dyn std::any::Any + Send>| {
            let message = crate::analysis::panic_message(&panic);
            tracing::error!("{method} panicked: {message}");
            // A notification has no one to answer; the connection goes on all the same.
            Ok(id.map(|id| {
                Response::from_error(
                    id,
                    jsonrpc::Error {
                        code: jsonrpc::ErrorCode::InternalError,
                        message: format!("taskmark: internal error in {method}: {message}").into(),
                        data: None,
                    },
                )
            }))
        };
        let future = match std::panic::catch_unwind(AssertUnwindSafe(|| self.0.call(request))) {
            Ok(future) => future,
            Err(panic) => return Box::pin(std::future::ready(answer_panic(panic))),
        };
        Box::pin(async move {
            match (Unwinding(Box::pin(future))).await {
                Ok(result) => result,
                Err(panic) => answer_panic(panic),
            }
        })
    }
}

/// A future polled inside `catch_unwind`; what it held is dropped with it after a panic (locks
/// and the write path's turn are released by their guards).
struct Unwinding<F>(Pin<Box<F>>);

impl<F: Future> Future for Unwinding<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_service::Service;

    /// A service whose handler panics on `boom` and answers everything else.
    struct Flaky;

    impl Service<Request> for Flaky {
        type Response = Option<Response>;
        type Error = std::convert::Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, Self::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request) -> Self::Future {
            let (method, id, _) = request.into_parts();
            Box::pin(async move {
                tokio::task::yield_now().await;
                if method == "boom" {
                    panic!("handler bug");
                }
                Ok(id.map(|id| Response::from_ok(id, serde_json::json!("fine"))))
            })
        }
    }

    #[tokio::test]
    async fn a_panicking_request_is_answered_with_an_internal_error_and_the_next_is_served() {
        let mut service = CatchPanic(Flaky);
        let boom = Request::build("boom").id(1).finish();
        let answer = service.call(boom).await.expect("answered").expect("a response");
        let json = serde_json::to_value(&answer).expect("JSON");
        assert_eq!(json["error"]["code"], -32603, "{json}");
        assert!(
            json["error"]["message"].as_str().unwrap_or("").contains("internal error in boom: handler bug"),
            "{json}"
        );
        let fine = service.call(Request::build("ok").id(2).finish()).await.expect("answered").expect("a response");
        assert_eq!(serde_json::to_value(&fine).expect("JSON")["result"], "fine");
        // A notification that panics has no answer, and is no error of the connection.
        assert!(service.call(Request::build("boom").finish()).await.expect("no error").is_none());
    }
}
