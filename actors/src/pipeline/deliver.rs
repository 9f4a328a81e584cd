//! Sending a request a frontend handed over whole, and handing its answer
//! back: the whole answer, or the stream chunk by chunk as it arrives.

use super::actor::Pipeline;
use super::chain::Input;
use super::proxied::{Delivery, Proxied};
use crate::cache_bridge::contract::{WireChunk, parse_process};
use actix::prelude::*;
use lantern_events::RequestId;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;

impl Pipeline {
    /// Sends `proxied` with `prompt` as its last user turn. The chain learns
    /// the outcome as usual; the frontend gets it on `reply`. A stream is
    /// read to its end even when the client has gone, so that a complete
    /// answer is still stored and journaled.
    pub(super) fn send_proxied(
        &mut self,
        request: RequestId,
        proxied: &Proxied,
        reply: UnboundedSender<Delivery>,
        prompt: &str,
        submitted: Instant,
        ctx: &mut Context<Self>,
    ) {
        let streaming = proxied.streaming();
        let body = self.shape().proxied(proxied, prompt, streaming);
        if !streaming {
            let call = self.bridge.call("process", Some(body));
            ctx.spawn(call.into_actor(self).map(move |answer, act, ctx| {
                let since_submit_ms = submitted.elapsed().as_millis() as u64;
                let input = match answer.and_then(|json| parse_process(&json)) {
                    Ok(result) => {
                        let result = result.map(Box::new);
                        let _ = reply.send(Delivery::Answer(result.clone()));
                        Input::Answered { result, since_submit_ms }
                    }
                    Err(e) => {
                        let _ = reply.send(Delivery::BridgeFailed(e.to_string()));
                        Input::BridgeFailed(e.to_string())
                    }
                };
                act.feed(request, input, ctx);
            }));
            return;
        }
        let chunks = self.bridge.stream_async(body);
        let on_failure = reply.clone();
        let relay = async move {
            let mut chunks = chunks.map_err(|e| e.to_string())?;
            while let Some(chunk) = chunks.recv().await {
                let chunk = chunk.and_then(|c| WireChunk::parse(&c)).map_err(|e| e.to_string())?;
                if chunk.is_result() {
                    let result = chunk.clone().into_result().map_err(|e| e.to_string())?;
                    let _ = reply.send(Delivery::Chunk(chunk));
                    return Ok(result);
                }
                // A client that hung up stops receiving; the stream goes on.
                let _ = reply.send(Delivery::Chunk(chunk));
            }
            Err("the stream ended without a result".to_owned())
        };
        ctx.spawn(relay.into_actor(self).map(move |outcome, act, ctx| {
            let since_submit_ms = submitted.elapsed().as_millis() as u64;
            let input = match outcome {
                Ok(result) => Input::Answered { result: result.map(Box::new), since_submit_ms },
                Err(message) => {
                    let _ = on_failure.send(Delivery::BridgeFailed(message.clone()));
                    Input::BridgeFailed(message)
                }
            };
            act.feed(request, input, ctx);
        }));
    }
}
