//! The guidance text for the seven stages, kept as data in `assets/guide.json` so it
//! can be edited (and translated) without touching code.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Stage {
    pub number: u8,
    pub title: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub prompts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Exercise {
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Guide {
    pub stages: Vec<Stage>,
    pub exercises: Vec<Exercise>,
}

const GUIDE_JSON: &str = include_str!("../../../assets/guide.json");

impl Guide {
    /// The guide is compiled in, and a test checks it parses; an empty guide is the
    /// fallback so a broken asset can never stop someone reaching their journal.
    pub fn load() -> Self {
        serde_json::from_str(GUIDE_JSON).unwrap_or(Guide {
            stages: Vec::new(),
            exercises: Vec::new(),
        })
    }

    pub fn stage(&self, n: u8) -> Option<&Stage> {
        self.stages.iter().find(|s| s.number == n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_guide_asset_is_complete() {
        let g: super::Guide = serde_json::from_str(super::GUIDE_JSON).unwrap();
        assert_eq!(g.stages.len(), 7);
        for (i, s) in g.stages.iter().enumerate() {
            assert_eq!(s.number as usize, i + 1);
            assert!(!s.prompts.is_empty() && !s.steps.is_empty());
        }
        assert!(!g.exercises.is_empty());
    }
}
