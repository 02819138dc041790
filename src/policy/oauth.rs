//! OAuth client plans (filled in below).

pub fn render(_plan: &crate::infer::Plan) -> Vec<(String, String)> {
    Vec::new()
}
