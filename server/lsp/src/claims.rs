//! Claims: an agent says it is working on a task, for a while. Several agents (and editors)
//! share one daemon, so the daemon is where a claim can be held and checked: a claim is
//! granted only while no other agent holds the task (compare-and-swap), renewed by its holder,
//! ended by its holder or by its lease running out, and a status change by another agent is
//! refused while it stands (unless forced).
//!
//! A claim binds agents, not people: a status change that names no agent (an editor's command,
//! `taskmark set`) goes through, and the claim is shown on hover and in `show` so the person
//! sees whom they overrule. Claims live in memory only: they end with the process that holds
//! them (the daemon, or a `--no-daemon` MCP server's own language server).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::world::lock;

/// The lease when the request names none, and the longest one granted: a claim outlives a
/// crashed agent by at most a day.
pub const DEFAULT_MINUTES: u64 = 30;
pub const MOST_MINUTES: u64 = 24 * 60;
/// An agent's name is shown in hovers and messages: a line, not a document.
const LONGEST_AGENT_NAME: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub agent: String,
    pub since: SystemTime,
    pub until: SystemTime,
}

impl Claim {
    pub fn to_json(&self) -> Value {
        json!({ "agent": self.agent, "since": timestamp(self.since), "until": timestamp(self.until) })
    }

    /// `` `agent-7` until 14:05 UTC `` for hovers and messages.
    pub fn describe(&self) -> String {
        let until = jiff::Timestamp::try_from(self.until)
            .map(|it| it.strftime("%H:%M UTC").to_string())
            .unwrap_or_else(|_| "later".to_string());
        format!("`{}` until {until}", self.agent)
    }
}

fn timestamp(time: SystemTime) -> Value {
    jiff::Timestamp::try_from(time)
        .map(|it| json!(it.round(jiff::Unit::Second).unwrap_or(it).to_string()))
        .unwrap_or(Value::Null)
}

/// What a claim request got.
#[derive(Debug, PartialEq, Eq)]
pub enum Granted {
    New(Claim),
    /// The holder asked again: the lease now runs from this request.
    Renewed(Claim),
}

/// The claims on one workspace root, shared by every session on it.
#[derive(Default)]
pub struct Claims {
    held: Mutex<HashMap<String, Claim>>,
}

impl Claims {
    /// Claims `task` for `agent` for `minutes`; `Err(holder)` while another agent holds it.
    pub fn claim(&self, task: &str, agent: &str, minutes: u64, now: SystemTime) -> Result<Granted, Claim> {
        let mut held = lock(&self.held);
        let until = now + Duration::from_secs(minutes.clamp(1, MOST_MINUTES) * 60);
        match held.get(task).filter(|it| it.until > now) {
            Some(holder) if holder.agent != agent => Err(holder.clone()),
            Some(holder) => {
                let renewed = Claim { agent: agent.to_string(), since: holder.since, until };
                held.insert(task.to_string(), renewed.clone());
                Ok(Granted::Renewed(renewed))
            }
            None => {
                let claim = Claim { agent: agent.to_string(), since: now, until };
                held.insert(task.to_string(), claim.clone());
                Ok(Granted::New(claim))
            }
        }
    }

    /// Ends `agent`'s claim on `task`: `Ok(true)` when it held one, `Ok(false)` when nobody
    /// did, `Err(holder)` when another agent holds it.
    pub fn release(&self, task: &str, agent: &str, now: SystemTime) -> Result<bool, Claim> {
        let mut held = lock(&self.held);
        match held.get(task).filter(|it| it.until > now) {
            Some(holder) if holder.agent != agent => Err(holder.clone()),
            Some(_) => Ok(held.remove(task).is_some()),
            None => {
                held.remove(task);
                Ok(false)
            }
        }
    }

    /// The claim standing on `task` now, if any.
    pub fn holder(&self, task: &str, now: SystemTime) -> Option<Claim> {
        let mut held = lock(&self.held);
        match held.get(task) {
            Some(claim) if claim.until > now => Some(claim.clone()),
            Some(_) => {
                held.remove(task);
                None
            }
            None => None,
        }
    }

    /// Whether a status change by `agent` may go ahead: `Err(holder)` when another agent holds
    /// the task. A change that names no agent is a person's, and claims do not bind people.
    pub fn allows(&self, task: &str, agent: Option<&str>, now: SystemTime) -> Result<(), Claim> {
        let Some(agent) = agent else { return Ok(()) };
        match self.holder(task, now) {
            Some(holder) if holder.agent != agent => Err(holder),
            _ => Ok(()),
        }
    }

    /// The claims standing now, by task (for lists).
    pub fn standing(&self, now: SystemTime) -> HashMap<String, Claim> {
        let mut held = lock(&self.held);
        held.retain(|_, claim| claim.until > now);
        held.clone()
    }
}

/// An agent's name as a request gives it: trimmed, one line, not empty, not too long.
pub fn agent_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the agent's name is empty".to_string());
    }
    if name.chars().any(char::is_control) {
        return Err("the agent's name must be one line of text".to_string());
    }
    if name.chars().count() > LONGEST_AGENT_NAME {
        return Err(format!("the agent's name is longer than {LONGEST_AGENT_NAME} characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + minutes * 60)
    }

    #[test]
    fn a_claim_is_refused_while_another_agent_holds_the_task_and_granted_when_its_lease_ends() {
        let claims = Claims::default();
        assert!(matches!(claims.claim("12", "a", 10, at(0)), Ok(Granted::New(_))));
        let holder = claims.claim("12", "b", 10, at(5)).unwrap_err();
        assert_eq!(holder.agent, "a");
        assert_eq!(holder.until, at(10));
        assert!(matches!(claims.claim("12", "b", 10, at(10)), Ok(Granted::New(claim)) if claim.agent == "b"));
        assert_eq!(claims.holder("12", at(11)).map(|it| it.agent), Some("b".to_string()));
        assert_eq!(claims.holder("12", at(20)), None);
    }

    #[test]
    fn the_holder_renews_its_claim_from_the_new_request_and_keeps_its_start() {
        let claims = Claims::default();
        claims.claim("12", "a", 10, at(0)).unwrap();
        let Ok(Granted::Renewed(claim)) = claims.claim("12", "a", 30, at(8)) else { panic!("not renewed") };
        assert_eq!((claim.since, claim.until), (at(0), at(38)));
    }

    #[test]
    fn only_the_holder_releases_and_releasing_nothing_is_not_an_error() {
        let claims = Claims::default();
        claims.claim("12", "a", 10, at(0)).unwrap();
        assert_eq!(claims.release("12", "b", at(1)).map_err(|it| it.agent), Err("a".to_string()));
        assert_eq!(claims.release("12", "a", at(1)), Ok(true));
        assert_eq!(claims.release("12", "a", at(2)), Ok(false));
        assert!(claims.claim("12", "b", 10, at(3)).is_ok());
    }

    #[test]
    fn status_changes_by_other_agents_are_refused_but_people_and_the_holder_go_ahead() {
        let claims = Claims::default();
        claims.claim("12", "a", 10, at(0)).unwrap();
        assert_eq!(claims.allows("12", Some("b"), at(1)).map_err(|it| it.agent), Err("a".to_string()));
        assert_eq!(claims.allows("12", Some("a"), at(1)), Ok(()));
        assert_eq!(claims.allows("12", None, at(1)), Ok(()));
        assert_eq!(claims.allows("12", Some("b"), at(10)), Ok(()));
        assert_eq!(claims.allows("13", Some("b"), at(1)), Ok(()));
    }

    #[test]
    fn leases_are_at_least_a_minute_and_at_most_a_day() {
        let claims = Claims::default();
        let Ok(Granted::New(short)) = claims.claim("1", "a", 0, at(0)) else { panic!() };
        assert_eq!(short.until, at(1));
        let Ok(Granted::New(long)) = claims.claim("2", "a", u64::MAX, at(0)) else { panic!() };
        assert_eq!(long.until, at(MOST_MINUTES));
    }

    #[test]
    fn agent_names_are_one_short_line() {
        assert_eq!(agent_name("  claude-1 "), Ok("claude-1".to_string()));
        assert!(agent_name("").is_err());
        assert!(agent_name("a\nb").is_err());
        assert!(agent_name(&"x".repeat(101)).is_err());
    }
}
